import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import GridCore

/// WeCom callbacks: the AI bot (智能机器人, JSON `{"encrypt": …}`, receive id empty), which sees
/// group @-mentions, and the self-built app (XML `<Encrypt>`, receive id the CorpID). Both are
/// signed with `msg_signature` in the query and encrypted with `WeComCrypto`; a GET with `echostr`
/// is the URL-verification handshake, answered with the decrypted plaintext.
public struct WeComAdapter: WebhookAdapter {
    public enum Mode: String, Sendable {
        case aiBot = "aibot"
        case app
    }

    /// How far the signed `timestamp` may be from now. WeCom documents none; an hour, as
    /// DingTalk's, refuses a captured request replayed later and allows for clock drift.
    public static let window: TimeInterval = 3600

    let crypto: WeComCrypto
    let mode: Mode

    public init(token: String, encodingAESKey: String, mode: Mode, corpID: String) throws(WeComCryptoError) {
        self.crypto = try WeComCrypto(token: token, encodingAESKey: encodingAESKey, receiveID: mode == .app ? corpID : "")
        self.mode = mode
    }

    public func handle(_ request: WebhookRequest, now: Date) throws(WebhookError) -> WebhookOutcome {
        guard let signature = request.query["msg_signature"], let timestamp = request.query["timestamp"], let nonce = request.query["nonce"] else {
            throw .unauthorized("missing msg_signature, timestamp or nonce in the query")
        }
        guard let seconds = Double(timestamp), WebhookSupport.isFresh(seconds: seconds, window: Self.window, now: now) else {
            throw .unauthorized("timestamp is outside the one-hour window")
        }
        if request.isGET {
            guard let echo = request.query["echostr"] else { throw .malformed("a verification GET needs echostr") }
            guard crypto.verify(signature: signature, timestamp: timestamp, nonce: nonce, encrypted: echo) else {
                throw .unauthorized("msg_signature does not match")
            }
            return .handshake(.plain(try decrypt(echo)))
        }
        let encrypted: String
        switch mode {
        case .aiBot:
            guard let value = try WebhookSupport.jsonObject(request.body)["encrypt"] as? String else { throw .malformed("missing field 'encrypt'") }
            encrypted = value
        case .app:
            guard let value = WeComXML(String(decoding: request.body, as: UTF8.self))?["Encrypt"] else {
                throw .malformed("the XML body has no <Encrypt> element")
            }
            encrypted = value
        }
        guard crypto.verify(signature: signature, timestamp: timestamp, nonce: nonce, encrypted: encrypted) else {
            throw .unauthorized("msg_signature does not match")
        }
        let plaintext = try decrypt(encrypted)
        switch mode {
        case .aiBot: return try aiBotMessage(plaintext, request: request, now: now)
        case .app: return try appMessage(plaintext, request: request, now: now)
        }
    }

    /// WeCom wants an empty body when the answer comes later through the send API.
    public var acknowledgement: WebhookResponseBody { .plain("") }

    private func decrypt(_ encrypted: String) throws(WebhookError) -> String {
        do {
            return try crypto.decrypt(encrypted)
        } catch {
            throw .unauthorized(error.description)
        }
    }

    private func aiBotMessage(_ plaintext: String, request: WebhookRequest, now: Date) throws(WebhookError) -> WebhookOutcome {
        let body = try WebhookSupport.jsonObject(Array(plaintext.utf8))
        guard let messageID = body["msgid"] as? String else { throw .malformed("missing field 'msgid'") }
        let sender = (body["from"] as? [String: Any])?["userid"] as? String ?? "unknown"
        let chatID = body["chatid"] as? String ?? "single:\(sender)"
        var text = ""
        var attachments: [String] = []
        switch body["msgtype"] as? String {
        case "text":
            text = (body["text"] as? [String: Any])?["content"] as? String ?? ""
        case "voice":
            text = (body["voice"] as? [String: Any])?["content"] as? String ?? ""
        case "image":
            if let url = (body["image"] as? [String: Any])?["url"] as? String { attachments.append(url) }
        case "mixed":
            for item in (body["mixed"] as? [String: Any])?["msg_item"] as? [[String: Any]] ?? [] {
                if let content = (item["text"] as? [String: Any])?["content"] as? String { text += content }
                if let url = (item["image"] as? [String: Any])?["url"] as? String { attachments.append(url) }
            }
        default:
            return .ignored("msgtype \(body["msgtype"] as? String ?? "unknown")")
        }
        return .message(InboundMessage(
            platform: .wecom, botCode: request.botCode, chatID: chatID, senderID: sender, senderName: nil,
            text: text, attachments: attachments, sentAt: now, platformMessageID: messageID,
            replyURL: body["response_url"] as? String))
    }

    private func appMessage(_ text: String, request: WebhookRequest, now: Date) throws(WebhookError) -> WebhookOutcome {
        guard let xml = WeComXML(text) else { throw .malformed("the message is not well-formed XML") }
        guard let type = xml["MsgType"] else { throw .malformed("the message has no MsgType") }
        guard type == "text" || type == "image" else { return .ignored("MsgType \(type)") }
        guard let sender = xml["FromUserName"], let messageID = xml["MsgId"] else {
            throw .malformed("the message has no FromUserName or MsgId")
        }
        let created = try WebhookSupport.sendTime(text: xml["CreateTime"], perSecond: 1, field: "CreateTime", now: now)
        return .message(InboundMessage(
            platform: .wecom, botCode: request.botCode, chatID: "user:\(sender)", senderID: sender, senderName: nil,
            text: xml["Content"] ?? "",
            attachments: xml["PicUrl"].map { [$0] } ?? [], sentAt: created,
            platformMessageID: messageID))
    }
}

/// The flat XML WeCom sends (`<xml><Content><![CDATA[…]]></Content>…</xml>`), read with a real
/// XML parser: CDATA and entities as XML defines them, so a resident's message that contains
/// `</Content>` is read whole, and `&lt;` outside CDATA is `<`. External entities are never
/// resolved. Nil for a body that is not well-formed.
struct WeComXML {
    private let fields: [String: String]

    init?(_ text: String) {
        let parser = XMLParser(data: Data(text.utf8))
        parser.shouldResolveExternalEntities = false
        let collector = Collector()
        parser.delegate = collector
        // libxml2 recovers from some breakage; a mismatched or unclosed tag is refused all the same.
        guard parser.parse(), collector.wellFormed, collector.closed else { return nil }
        fields = collector.fields
    }

    /// The text of a child of the root element, the first of its name.
    subscript(_ tag: String) -> String? { fields[tag] }

    /// Gathers the text of the root element's children.
    private final class Collector: NSObject, XMLParserDelegate {
        var fields: [String: String] = [:]
        private(set) var wellFormed = true
        private var open: [String] = []
        private var name: String?
        private var text = ""

        var closed: Bool { open.isEmpty }
        private var depth: Int { open.count }

        func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            open.append(elementName)
            if depth == 2 {
                name = elementName
                text = ""
            }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            if depth == 2 { text += string }
        }

        func parser(_ parser: XMLParser, foundCDATA CDATABlock: Data) {
            if depth == 2 { text += String(decoding: CDATABlock, as: UTF8.self) }
        }

        func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
            if open.last != elementName { wellFormed = false }
            if depth == 2, let name, fields[name] == nil { fields[name] = text }
            if !open.isEmpty { open.removeLast() }
        }

        func parser(_ parser: XMLParser, parseErrorOccurred parseError: any Error) {
            wellFormed = false
        }
    }
}
