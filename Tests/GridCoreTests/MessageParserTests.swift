import Foundation
import GridCore
import GridTestSupport
import Testing

@Suite struct MessageParserTests {
    let parser = MessageParser()

    func location(_ text: String, group: String? = nil) -> Location {
        let parse = parser.parse(text, groupBuilding: group)
        #expect(parse.intent == .report, "\(text) should be a report, got \(parse.intent)")
        return parse.location
    }

    // MARK: Numerals and location forms

    @Test(arguments: [
        ("3号楼2单元电梯坏了", "3", "2", nil),
        ("三号楼二单元电梯坏了", "3", "2", nil),
        ("十二栋一单元电梯坏了", "12", "1", nil),
        ("二十一号楼2单元电梯坏了", "21", "2", nil),
        ("１５幢２单元的消火栓箱门被撬了", "15", "2", nil),
        ("6-1-601厨房水管爆了", "6", "1", "601"),
        ("8-3-701有煤气味", "8", "3", "701"),
        ("9号楼2单元302暖气片漏水", "9", "2", "302"),
        ("七号楼三单元五零一水龙头坏了", "7", "3", "501"),
        ("十二栋二单元一零零二天天装修太吵", "12", "2", "1002"),
        ("b3栋垃圾房老鼠特别多", "B3", nil, nil),
        ("A2栋后面的路灯不亮了", "A2", nil, nil),
        ("10号2单元地下室储藏室的门被撬了", "10", "2", nil),
        ("1门洞一楼楼道灯坏了", "5", "1", nil),
        ("第三单元的单元门坏了", "5", "3", nil),
        ("3#楼电梯坏了", "3", nil, nil),
        ("东区5栋302 卫生间地漏堵了", "5", nil, "302"),
        ("楼上1202半夜装修吵得睡不着", "5", nil, "1202"),
        ("1502家的狗一天到晚叫", "5", nil, "1502"),
        ("502室漏水到楼下了", "5", nil, "502"),
        ("十五栋楼下的化粪池冒了", "15", nil, nil),
    ] as [(String, String?, String?, String?)])
    func locationForms(text: String, building: String?, unit: String?, room: String?) {
        #expect(location(text, group: "5") == Location(building: building, unit: unit, room: room))
    }

    @Test func floorsAndCountsAreNotLocations() {
        #expect(location("5楼楼道灯坏了", group: "4") == Location(building: "4"))
        #expect(location("五层的楼道灯坏了", group: "4") == Location(building: "4"))
        #expect(location("我家18楼 水压太低了 麻烦找人看看", group: "7") == Location(building: "7"))
        #expect(location("两单元的楼道灯都坏了", group: "4") == Location(building: "4"), "两单元 is two units")
        #expect(location("有两栋楼停电了 一整天了", group: nil).building == nil)
        #expect(location("尾号357的白色大众堵在门口了 麻烦挪车", group: "4") == Location(building: "4"))
        #expect(location("着火了！7号楼2单元6楼冒黑烟 快打119") == Location(building: "7", unit: "2"))
        #expect(location("统一处理一下楼道的小广告吧 贴得到处都是", group: "8") == Location(building: "8"))
    }

    @Test func theNamedBuildingWinsOverTheGroup() {
        #expect(location("隔壁5号楼门口的垃圾桶好几天没清了", group: "4").building == "5")
        #expect(location("单元门口的垃圾桶好几天没清了", group: "4").building == "4")
        #expect(location("中心广场的垃圾桶好几天没清了", group: nil).building == nil)
    }

    @Test func fullWidthAndTraditionalTextIsNormalised() {
        let parse = parser.parse("３號樓２單元電梯壞了 有人被困", groupBuilding: nil)
        #expect(parse.intent == .report)
        #expect(parse.category == .elevator)
        #expect(parse.urgency == .emergency)
        #expect(parse.location == Location(building: "3", unit: "2"))
    }

    // MARK: Categories

    @Test(arguments: [
        ("电梯门关不严实，每次都要开关好几回", ReportCategory.elevator),
        ("楼上漏水漏到我家了 天花板一直在滴", .water),
        ("楼道灯坏了一个星期了 晚上黑漆漆的", .power),
        ("楼道里一股煤气味 越来越重", .gas),
        ("暖气一点都不热 家里才14度", .heating),
        ("消防通道堆满了纸箱 万一着火消防车都进不来", .fireSafety),
        ("垃圾桶满了三天没人收 都溢出来了", .sanitation),
        ("地下室老鼠特别多 东西都被咬烂了", .pests),
        ("有辆车一直堵在单元门口 麻烦车主挪一下", .parking),
        ("楼上天天半夜拖椅子 吵得睡不着", .noise),
        ("小区门口的井盖松了 车一压就响", .facilities),
        ("楼前的大树枝断了挂在半空 很危险", .greenery),
        ("车棚里的电动车电瓶被偷了", .security),
        ("跟邻居因为车位吵起来了 希望社区来调解", .dispute),
        ("楼里有个独居老人腿脚不方便 家里没米了 社区能不能帮帮她", .welfare),
        ("单元门口天天一堆狗屎 遛狗的从来不捡", .pets),
        ("建议在小区里多放几把长椅 老人走累了没地方坐", .suggestion),
        ("楼下饭馆的油烟直接排到我们楼里 窗户都不敢开", .other),
    ] as [(String, ReportCategory)])
    func everyCategoryIsRecognised(text: String, category: ReportCategory) {
        let parse = parser.parse(text, groupBuilding: "3")
        #expect(parse.intent == .report)
        #expect(parse.category == category, "\(text): \(parse.cues)")
    }

    @Test func theMostUrgentOfSeveralProblemsLabelsTheReport() {
        let parse = parser.parse("楼道灯不亮好几天了 刚才有个老人在楼梯上摔倒了 起不来", groupBuilding: "3")
        #expect(parse.category == .welfare)
        #expect(parse.urgency == .emergency)
    }

    // MARK: Urgency and negation

    @Test func urgencyFollowsDangerAndScope() {
        #expect(parser.parse("电梯停了 有人被困在里面", groupBuilding: "3").urgency == .emergency)
        #expect(parser.parse("电梯又停了 里面倒是没人 但是高层的上不去", groupBuilding: "3").urgency == .urgent)
        #expect(parser.parse("电梯按钮失灵了 按了没反应", groupBuilding: "3").urgency == .normal)
        #expect(parser.parse("整栋楼都停水了 一整天了", groupBuilding: "3").urgency == .urgent)
        #expect(parser.parse("晚上打桩 整个小区都能听见", groupBuilding: nil).urgency == .normal, "scope makes outages urgent, not noise")
    }

    @Test func negatedAndHypotheticalDangerIsNotAnEmergency() {
        #expect(parser.parse("楼道堆满了纸箱 要是着火了怎么办", groupBuilding: "3").urgency == .normal)
        #expect(parser.parse("没有人被困 就是电梯不动了", groupBuilding: "3").urgency != .emergency)
        #expect(parser.parse("家里燃气灶打不着火 别人家都正常", groupBuilding: "3").urgency == .normal)
    }

    @Test func pastAndFixedProblemsAreChat() {
        #expect(parser.parse("昨天电梯坏了今天已经修好了", groupBuilding: "3").intent == .chat)
        #expect(parser.parse("来水了来水了 谢谢物业", groupBuilding: "3").intent == .chat)
        #expect(parser.parse("电梯修好了没几天又坏了", groupBuilding: "3").intent == .report)
    }

    // MARK: Intents

    @Test(arguments: [
        "电梯啥时候能修好？", "明天几点停水？", "请问物业电话是多少", "电梯修好了吗？",
        "楼长 我们单元的楼道灯报修了吗？",
    ])
    func questionsThatMentionAFaultAreQuestions(text: String) {
        #expect(parser.parse(text, groupBuilding: "3").intent == .question, "\(text)")
    }

    @Test func aRequestPhrasedAsAQuestionIsAReport() {
        #expect(parser.parse("暖气片上面热下面凉 是不是要放气 能派个师傅来吗", groupBuilding: "3").intent == .report)
    }

    @Test(arguments: [
        "【停水通知】明天上午8:00至下午5:00，3号楼停水，请各位住户提前储水。",
        "温馨提示：请勿将电动车推入楼道充电，违者将依规处理。",
        "各位居民：3号楼电梯已维修完毕，恢复正常使用。",
    ])
    func noticesAreNotices(text: String) {
        #expect(parser.parse(text, groupBuilding: "3").intent == .notice)
    }

    @Test(arguments: [
        "专业疏通下水道 马桶 地漏 24小时上门 电话13800138000",
        "兼职刷单 日结 一单5-50元 加微信详聊",
        "高价回收旧家电 旧手机 上门收购",
        "恭喜您获得社区福利！点击链接领取200元话费",
    ])
    func advertsAndScamsAreSpam(text: String) {
        #expect(parser.parse(text, groupBuilding: "3").intent == .spam)
    }

    @Test func complaintsAboutAdvertsAreReports() {
        let parse = parser.parse("单元门上贴的全是办证、贷款的小广告，撕了又贴", groupBuilding: "22")
        #expect(parse.intent == .report)
        #expect(parse.category == .sanitation)
    }

    @Test(arguments: ["早上好☀️", "谢谢网格员小李", "好的 收到", "中秋快乐 祝大家阖家幸福", "哈哈哈哈 太逗了"])
    func smallTalkIsChat(text: String) {
        #expect(parser.parse(text, groupBuilding: "3").intent == .chat)
    }

    // MARK: Confidence, triage and personal data

    @Test func unclearReportsAreMarkedForTriageNotDropped() {
        // A bare topic with nothing said about it: flagged for a person, whatever intent it is given.
        for text in ["楼下水管", "电梯那个事", "垃圾桶那边"] {
            let parse = parser.parse(text, groupBuilding: "3")
            #expect(parse.needsTriage, "\(text)")
            #expect(parse.intent != .spam && parse.confidence < 0.6, "\(text)")
        }
        let clear = parser.parse("3号楼2单元电梯困人了 快来人", groupBuilding: nil)
        #expect(clear.confidence >= 0.9)
        #expect(!clear.needsTriage)
    }

    @Test func phoneNumbersInMessagesAreDetected() {
        let parse = parser.parse("楼上漏水 我电话13912345678 麻烦联系我", groupBuilding: "3")
        #expect(parse.personalData.map(\.kind) == [.mobile])
    }

    @Test func theCuesExplainTheParse() {
        let parse = parser.parse("电梯困人了", groupBuilding: "3")
        #expect(parse.cues.contains { $0.text.hasPrefix("电梯") && $0.feature == .category(.elevator) })
        #expect(parse.cues.contains { $0.text == "困人" && $0.feature == .urgency(.emergency) })
    }
}
