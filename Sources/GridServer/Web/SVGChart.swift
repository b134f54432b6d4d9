import Foundation

/// Charts drawn on the server as inline SVG: no script, no outside files, readable without
/// colour (every bar carries its number) and by screen readers (a title and one label per bar).
enum SVGChart {
    struct Bar {
        var label: String
        var value: Double
        /// The number written on the bar.
        var text: String

        init(_ label: String, _ value: Double, text: String? = nil) {
            self.label = label
            self.value = value
            self.text = text ?? (value == value.rounded() ? String(Int(value)) : String(format: "%.1f", value))
        }
    }

    static let colour = "#1f6f5c"
    static let muted = "#4a5560"
    static let rule = "#c5ccd3"

    /// Vertical bars in time order (reports per day); labels under every `labelEvery`-th bar.
    static func columns(_ bars: [Bar], title: String, width: Int = 480, height: Int = 200) -> String {
        let top = 18.0, bottom = 30.0, left = 8.0
        let plotHeight = Double(height) - top - bottom
        let maximum = max(bars.map(\.value).max() ?? 0, 1)
        let slot = (Double(width) - left * 2) / Double(max(bars.count, 1))
        let labelEvery = max(1, Int((52 / slot).rounded(.up)))
        var body = ""
        for (index, bar) in bars.enumerated() {
            let barHeight = plotHeight * bar.value / maximum
            let x = left + Double(index) * slot
            let y = top + plotHeight - barHeight
            body += #"<g><title>\#(escape(bar.label))：\#(escape(bar.text))</title>"#
            body += #"<rect x="\#(fmt(x + slot * 0.12))" y="\#(fmt(y))" width="\#(fmt(slot * 0.76))" height="\#(fmt(barHeight))" fill="\#(colour)"/>"#
            if bar.value > 0, slot >= 14 {
                body += #"<text x="\#(fmt(x + slot / 2))" y="\#(fmt(y - 3))" font-size="10" text-anchor="middle">\#(escape(bar.text))</text>"#
            }
            if index % labelEvery == 0 {
                body += #"<text x="\#(fmt(x + slot / 2))" y="\#(fmt(Double(height) - bottom + 14))" font-size="10" text-anchor="middle" fill="\#(muted)">\#(escape(bar.label))</text>"#
            }
            body += "</g>"
        }
        body += #"<line x1="\#(fmt(left))" y1="\#(fmt(top + plotHeight))" x2="\#(fmt(Double(width) - left))" y2="\#(fmt(top + plotHeight))" stroke="\#(rule)"/>"#
        return svg(body, title: title, width: width, height: height)
    }

    /// Horizontal bars, largest first (by category, by grid).
    static func rows(_ bars: [Bar], title: String, width: Int = 420, scale: Double? = nil) -> String {
        let rowHeight = 24.0, labelWidth = 120.0, numberWidth = 56.0
        let height = Int(rowHeight * Double(max(bars.count, 1)) + 8)
        let maximum = scale ?? max(bars.map(\.value).max() ?? 0, 1)
        let plotWidth = Double(width) - labelWidth - numberWidth
        var body = ""
        if bars.isEmpty {
            body += #"<text x="8" y="20" font-size="12" fill="\#(muted)">暂无数据</text>"#
        }
        for (index, bar) in bars.enumerated() {
            let y = 4 + Double(index) * rowHeight
            let barWidth = plotWidth * bar.value / maximum
            body += #"<g><title>\#(escape(bar.label))：\#(escape(bar.text))</title>"#
            body += #"<text x="\#(fmt(labelWidth - 6))" y="\#(fmt(y + 15))" font-size="12" text-anchor="end">\#(escape(bar.label))</text>"#
            body += #"<rect x="\#(fmt(labelWidth))" y="\#(fmt(y + 3))" width="\#(fmt(max(barWidth, bar.value > 0 ? 1 : 0)))" height="\#(fmt(rowHeight - 8))" fill="\#(colour)"/>"#
            body += #"<text x="\#(fmt(labelWidth + barWidth + 4))" y="\#(fmt(y + 15))" font-size="12">\#(escape(bar.text))</text></g>"#
        }
        return svg(body, title: title, width: width, height: height)
    }

    /// Shares out of 100% (completion and on-time rates); a missing share reads 无数据.
    static func shares(_ shares: [(label: String, share: Double?)], title: String, width: Int = 420) -> String {
        rows(shares.map { Bar($0.label, ($0.share ?? 0) * 100, text: $0.share.map { String(format: "%.0f%%", $0 * 100) } ?? "无数据") },
             title: title, width: width, scale: 100)
    }

    private static func svg(_ body: String, title: String, width: Int, height: Int) -> String {
        #"<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="\#(escape(title))" viewBox="0 0 \#(width) \#(height)" width="100%" preserveAspectRatio="xMinYMin meet"><title>\#(escape(title))</title>\#(body)</svg>"#
    }

    private static func fmt(_ value: Double) -> String {
        String(format: "%.1f", value)
    }

    static func escape(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out.append(contentsOf: "&amp;".unicodeScalars)
            case "<": out.append(contentsOf: "&lt;".unicodeScalars)
            case ">": out.append(contentsOf: "&gt;".unicodeScalars)
            case "\"": out.append(contentsOf: "&quot;".unicodeScalars)
            case "'": out.append(contentsOf: "&#39;".unicodeScalars)
            // XML 1.0 allows no other C0 control and neither U+FFFE nor U+FFFF: one such character
            // in a chat message would make the whole document unreadable, so it is dropped.
            case "\t", "\n", "\r": out.append(scalar)
            case _ where scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF: continue
            default: out.append(scalar)
            }
        }
        return String(out)
    }
}
