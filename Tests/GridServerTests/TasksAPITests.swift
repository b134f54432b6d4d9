import Foundation
import GridCore
import GridServer
import GridStore
import GridTestSupport
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// The tasks API: the chat's rules for programs and the console.
@Suite struct TasksAPITests {
    @Test func staffPostAndReviewTasksOverTheAPIAndAnApprovalSentTwicePaysOnce() async throws {
        let loop = try await LoopHarness(.sqlite)
        try await loop.run { loop, client in
            let store = loop.services.store
            let worker = try #require(try await store.createAPIToken(person: "W01", label: "console", at: loop.clock.now()))
            let merchant = try #require(try await store.createAPIToken(person: "MA1", label: "till", at: loop.clock.now()))
            func call(_ method: HTTPRequest.Method, _ path: String, _ body: String? = nil, token: String) async throws -> (HTTPResponse.Status, String) {
                let response = try await client.execute(uri: path, method: method, headers: [.authorization: "Bearer \(token)", .contentType: "application/json"],
                                                         body: body.map { ByteBuffer(string: $0) })
                return (response.status, String(buffer: response.body))
            }
            let created = try await call(.post, "/api/v1/tasks", #"{"title":"清理3号楼单车棚","points":25,"slots":1,"deadline":"2026-11-30"}"#, token: worker)
            #expect(created.0 == .created, "\(created.1)")
            #expect(created.1.contains(#""code":"T4""#) && created.1.contains(#""building":"3""#))
            #expect(try await loop.newMessages().texts(in: "building-3").first?.contains("【志愿任务 T4】清理3号楼单车棚") == true)

            #expect(try await call(.post, "/api/v1/tasks", #"{"title":"清理12号楼楼道","points":5}"#, token: worker).0 == .forbidden)
            #expect(try await call(.post, "/api/v1/tasks", #"{"title":"清理3号楼楼道","points":5}"#, token: merchant).0 == .forbidden)
            #expect(try await call(.post, "/api/v1/tasks", #"{"title":"清理3号楼楼道","points":0}"#, token: worker).0 == .badRequest)
            #expect(try await call(.post, "/api/v1/tasks", #"{"title":"清理3号楼楼道","points":5,"deadline":"2020-01-01"}"#, token: worker).0 == .badRequest)

            try await loop.say(client, "resident.wangfang", in: "building-3", "报名 T4")
            try await loop.say(client, "resident.wangfang", in: "building-3", "完成 T4 清理完毕")
            // The same approval twice at once: one pays, the other is told it was already reviewed.
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<2 {
                    group.addTask { try await call(.post, "/api/v1/tasks/T4/review", #"{"person":"R1","approve":true}"#, token: worker).0 }
                }
                return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
            }
            #expect(statuses.sorted { $0.code < $1.code } == [.ok, .conflict])
            #expect(try await store.balance(of: LedgerAccounts.household("H-3-2-502")) == 25)
            #expect(try await call(.post, "/api/v1/tasks/T9/review", #"{"person":"R1","approve":true}"#, token: worker).0 == .notFound)
            #expect(try await call(.post, "/api/v1/tasks/T4/review", #"{"person":"R1","approve":false}"#, token: worker).0 == .badRequest)

            let listed = try await call(.get, "/api/v1/tasks", token: worker)
            #expect(listed.0 == .ok && listed.1.contains(#""code":"T4""#) && listed.1.contains(#""slotsTaken":1"#))
            #expect(listed.1.contains(#""photoRequired":false"#))
            let photoTask = try await call(.post, "/api/v1/tasks", #"{"title":"清理3号楼楼道小广告","points":5,"photoRequired":true}"#, token: worker)
            #expect(photoTask.0 == .created && photoTask.1.contains(#""photoRequired":true"#), "\(photoTask.1)")
            #expect(try await client.execute(uri: "/api/v1/tasks", method: .get, headers: [:], body: nil).status == .unauthorized)
            #expect(try await store.verifyLedger().isSound)
        }
    }
}
