import Foundation
import GridCore
import GridServer
import GridStore
import GridTestSupport
import HummingbirdTesting
import NIOCore
import SQLKit
import Testing

/// `--retain-messages 180d`: what a dry run says would go is exactly what a run removes, and
/// nothing else is touched.
@Suite struct RetentionTests {
    @Test(arguments: TestBackend.allCases)
    func retentionRemovesExactlyWhatItSaidItWould(backend: TestBackend) async throws {
        let loop = try await LoopHarness(backend)
        try await loop.run { loop, client in
            let store = loop.services.store
            // Chat that made no report, with a phone number in it.
            try await loop.say(client, "resident.wangfang", in: "building-3", "哈哈 我家猫又跑到楼顶去了，有事打我电话13812345678", name: "王芳")
            // A report, closed the same day.
            try await loop.say(client, "resident.liqiang", in: "building-3", "3号楼2单元电梯坏了，我是李强，电话13900001111", name: "李强")
            try await loop.say(client, "worker01", in: "staff-g01", "收到 #1")
            try await loop.say(client, "worker01", in: "staff-g01", "已处理 #1 已修好，联系了李强13900001111")
            try await loop.say(client, "zheng.jianguo", in: "staff-hx", "核实 #1 现场已恢复运行")
            let closed = try #require(try await store.workOrder(id: 1))
            #expect(closed.status == .closed)
            // Possible reports kept for staff stay whole while they wait.
            try await loop.say(client, "resident.zhangxiuying", in: "building-3", "电梯那个事", name: "张秀英")
            let waiting = try #require(try await loop.lastMessage())
            // What GridBot said about all that is delivered (a reply still queued is never cleared).
            try await loop.deliver()
            let said = try await loop.services.database.withConnection { db in
                try await db.raw("SELECT COUNT(*) AS n FROM outbound_messages WHERE state = 'sent'").first(decodingColumn: "n", as: Int.self) ?? 0
            }
            #expect(said > 5)

            loop.clock.advance(170 * 86_400)
            // Recent chat, and a message not yet processed: both kept.
            try await loop.say(client, "resident.wangfang", in: "building-3", "今晚小区有电影放映吗", name: "王芳")
            let body = #"{"message_id":"unprocessed-1","chat_id":"building-3","sender":{"id":"resident.wangfang","name":"王芳"},"text":"还没处理的消息 13812345678","sent_at":\#(Int(loop.clock.now().timeIntervalSince1970))}"#
            #expect(try await client.execute(uri: "/webhooks/generic/demo", method: .post, headers: GatewaySigning.headers(body, at: loop.clock.now()),
                                             body: ByteBuffer(string: body)).status == .ok)
            loop.clock.advance(11 * 86_400)

            let before = try await loop.services.store.messages(botCode: "demo", limit: 1000)
            let cutoff = loop.clock.now().addingTimeInterval(-180 * 86_400)
            let due = try await store.retentionDue(before: cutoff)
            // The cat chat and the three staff commands are cleared; the report's message and the
            // waiting candidate are not (the report is masked instead).
            #expect(due == RetentionCounts(messagesCleared: 4, reportsMasked: 1, repliesCleared: said), "\(due)")

            let retention = RetentionWatcher(store: store, retain: 180 * 86_400, logger: loop.services.logger, now: loop.clock.now)
            #expect(try await retention.applyDue() == due, "a run removes exactly what the dry run said")
            #expect(try await retention.applyDue() == RetentionCounts(), "and a second run finds nothing more")

            let after = Dictionary(uniqueKeysWithValues: try await loop.services.store.messages(botCode: "demo", limit: 1000).map { ($0.id, $0) })
            for message in before {
                let now = try #require(after[message.id])
                switch message.message.text {
                case let text where text.hasPrefix("哈哈") || text.hasPrefix("收到") || text.hasPrefix("已处理") || text.hasPrefix("核实"):
                    #expect(now.message.text.isEmpty && now.message.senderID.isEmpty && now.message.senderName == nil, "cleared: \(text)")
                case let text where text.hasPrefix("3号楼2单元"):
                    #expect(!now.message.text.contains("13900001111") && !now.message.text.contains("李强"), "masked: \(now.message.text)")
                    #expect(now.message.text.contains("电梯坏了"))
                default:
                    #expect(now.message == message.message, "untouched: \(message.message.text)")
                }
            }
            #expect(after[waiting.id]?.message.text == "电梯那个事")
            let masked = try #require(try await store.workOrder(id: 1))
            #expect(!masked.text.contains("13900001111"), "\(masked.text)")
            #expect(masked.category == closed.category && masked.location == closed.location && masked.status == .closed && masked.closedAt == closed.closedAt)
            #expect(try await store.timeline(reportID: 1).allSatisfy { !($0.note ?? "").contains("13900001111") })
            #expect(try await store.reporters(reportID: 1).allSatisfy { $0.name == nil })
            let leftText = try await loop.services.database.withConnection { db in
                try await db.raw("SELECT COUNT(*) AS n FROM outbound_messages WHERE state = 'sent' AND text <> ''").first(decodingColumn: "n", as: Int.self) ?? 0
            }
            #expect(leftText == 0, "what was said before the cut-off keeps no text")
            #expect(try await store.verifyLedger().isSound)
        }
    }
}
