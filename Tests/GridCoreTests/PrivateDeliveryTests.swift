import Foundation
import GridCore
import Testing

/// Which bots can reach one person directly, so a voucher code never has to go to a group.
@Suite struct PrivateDeliveryTests {
    @Test func eachPlatformSaysWhetherItCanMessageOnePerson() {
        #expect(Bot(code: "g", platform: .generic, settings: [:]).canMessagePrivately)
        #expect(Bot(code: "t", platform: .telegram, settings: [:]).canMessagePrivately)
        #expect(Bot(code: "f", platform: .feishu, settings: [:]).canMessagePrivately)
        #expect(Bot(code: "w", platform: .wecom, settings: ["mode": "app"]).canMessagePrivately)
        #expect(!Bot(code: "w", platform: .wecom, settings: ["mode": "aibot"]).canMessagePrivately, "an AI bot only answers in its chat")
        #expect(!Bot(code: "d", platform: .dingtalk, settings: ["app_secret": "s"]).canMessagePrivately)
        #expect(Bot(code: "d", platform: .dingtalk, settings: ["app_key": "k", "app_secret": "s", "robot_code": "r"]).canMessagePrivately)
    }
}
