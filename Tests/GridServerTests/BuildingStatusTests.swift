import Foundation
import GridCore
@testable import GridServer
import GridStore
import GridTestSupport
import HummingbirdTesting
import Testing

/// `楼里有什么事` in a building's chat: that building's open reports and their state, with no
/// personal data.
@Suite struct BuildingStatusTests {
    @Test func aResidentAsksWhatIsGoingOnInTheirBuilding() async throws {
        let loop = try await LoopHarness(.sqlite)
        try await loop.run { loop, client in
            try await loop.say(client, "resident.zhangxiuying", in: "building-3", "楼里有什么事吗？")
            #expect(try await loop.newMessages().texts(in: "building-3") == [
                "3号楼目前没有在办的问题。\n发现新问题，直接在群里说明即可；您反映过的问题，每一步进展都会在群里告诉您。",
            ])
            try await loop.say(client, "resident.wangfang", in: "building-3", "3号楼2单元502电梯停了，有人被困，电话13812345678", name: "王芳")
            try await loop.say(client, "resident.liqiang", in: "building-3", "3号楼1单元楼道灯坏了", name: "李强")
            try await loop.say(client, "resident.chenlei", in: "building-12", "12号楼门口垃圾没人清")
            // About a person, not the building: never listed in the group.
            try await loop.say(client, "resident.liqiang", in: "building-3", "3号楼2单元的独居老人好几天没出门了，麻烦社区去看看", name: "李强")
            let welfare = try #require(try await loop.services.store.workOrder(id: 4))
            #expect(BuildingStatus.private.contains(welfare.category), "\(welfare.category)")
            try await loop.say(client, "worker01", in: "staff-g01", "收到 #1")
            _ = try await loop.newMessages()

            for question in ["楼里有什么事吗？", "咱楼最近有啥事", "我们楼的报修进度怎么样了", "這棟樓有什麼問題"] {
                try await loop.say(client, "resident.zhangxiuying", in: "building-3", question)
                let answer = try #require(try await loop.newMessages().texts(in: "building-3").first, "\(question) was not answered")
                #expect(answer.hasPrefix("3号楼目前有 2 件在办："), "\(question): \(answer)")
                #expect(answer.contains("#1 电梯（2单元） · 紧急 · 已签收") && answer.contains("#2 "), "\(answer)")
                for personal in ["502", "13812345678", "王芳", "李强", "被困"] { #expect(!answer.contains(personal), "\(personal) in \(answer)") }
                #expect(!answer.contains("#3"), "another building's report is not listed")
                #expect(!answer.contains("#4") && !answer.contains(welfare.category.chineseName), "a report about a person is not listed")
            }
            // Not a question about the building: a report still is a report, and chat is chat.
            try await loop.say(client, "resident.zhangxiuying", in: "building-3", "楼里有什么事都不管，3号楼水管漏水了")
            #expect(try await loop.newMessages().texts(in: "building-3").first?.contains("已收到您反映的问题") == true)
            #expect(!BuildingStatus.asks("今天天气真好"))
            #expect(!BuildingStatus.asks("有什么事"))
        }
    }
}
