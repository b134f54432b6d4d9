import Foundation
import GridServer
import GridTestSupport
import Testing

/// The reply lines live in `templates/chat/lines.txt`, checked whole at start; the templates
/// folder may be a link to a release folder.
@Suite struct ChatLinesTests {
    static let templates = packageRoot.appendingPathComponent("templates")

    /// A copy of the templates folder whose lines file is `edit`ed, removed when done.
    static func withCopy(_ edit: (String) -> String, _ body: (URL) async throws -> Void) async throws {
        let folder = TestFolders.fresh("lines")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.copyItem(at: templates, to: folder)
        let lines = folder.appendingPathComponent("chat/lines.txt")
        try edit(try String(contentsOf: lines, encoding: .utf8)).write(to: lines, atomically: true, encoding: .utf8)
        try await body(folder)
    }

    @Test func everyLineRendersWithItsValues() async throws {
        let replies = try await ChatReplies(directory: Self.templates.path)
        #expect(replies.line(.reportAcknowledged, ["id": 12, "resolveBy": "16:30"]) == "已签收 #12，请在 16:30 前办结。")
        #expect(replies.line(.progressAcknowledged, ["actor": ""]) == "已由工作人员签收，正在安排处理", "an empty name reads as staff")
        #expect(replies.line(.correctionPlace, ["from": "", "to": "5号楼"]) == "位置由未知更正为5号楼")
        for line in ChatLine.allCases {
            #expect(!replies.line(line).contains("{{"), "\(line.rawValue) renders whole")
        }
    }

    @Test func aMissingOrMistypedKeyStopsTheStartNamingIt() async throws {
        try await Self.withCopy({ $0.replacingOccurrences(of: "report.closed = ", with: "report.closd = ") }) { folder in
            do {
                _ = try await ChatReplies(directory: folder.path)
                Issue.record("a mistyped key was accepted")
            } catch let error as ConfigurationError {
                #expect(error.message.contains("report.closd"), "\(error.message)")
            }
        }
        try await Self.withCopy({ $0.replacingOccurrences(of: "task.changed = ", with: "# task.changed = ") }) { folder in
            do {
                _ = try await ChatReplies(directory: folder.path)
                Issue.record("a missing key was accepted")
            } catch let error as ConfigurationError {
                #expect(error.message.contains("task.changed"), "\(error.message)")
            }
        }
    }

    @Test func aLinkedTemplatesFolderIsReadWhereItPoints() async throws {
        try await Self.withCopy({ $0 }) { folder in
            let link = TestFolders.fresh("link")
            defer { try? FileManager.default.removeItem(at: link) }
            try FileManager.default.createSymbolicLink(at: link, withDestinationURL: folder)
            let replies = try await ChatReplies(directory: link.path)
            #expect(replies.render(.commandDone, ["done": "好"]) == "好")
        }
    }
}
