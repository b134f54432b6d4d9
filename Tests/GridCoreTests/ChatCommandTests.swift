import Foundation
import GridCore
import Testing

@Suite struct ChatCommandTests {
    static let parser = try! ChatCommandParser.bundled()

    @Test(arguments: [
        ("收到 #12", CommandVerb.acknowledge, [Int64(12)], nil as String?, ""),
        ("@GridBot 签收 ＃12", .acknowledge, [12], nil, ""),
        ("#12 收到", .acknowledge, [12], nil, ""),
        ("已处理 #12 已更换水管", .resolve, [12], nil, "已更换水管"),
        ("#12已处理，已更换水管", .resolve, [12], nil, "已更换水管"),
        ("转办 #12 物业 原因：水管属物业维修", .transfer, [12], "物业", "水管属物业维修"),
        ("转办 #12 物业原因水管属物业维修", .transfer, [12], "物业", "水管属物业维修"),
        ("派单 #3 第五网格", .assign, [3], "第五网格", ""),
        ("退回 #12 不属于本网格", .return, [12], nil, "不属于本网格"),
        ("核实 #12", .verify, [12], nil, ""),
        ("合并 #12 #15", .merge, [12, 15], nil, ""),
        ("合并 #12、#15", .merge, [12, 15], nil, ""),
        ("拆分 #15", .split, [15], nil, ""),
        ("不满意 #12 还在漏", .dissatisfied, [12], nil, "还在漏"),
        ("满意", .satisfied, [], nil, ""),
        ("#12 3号楼2单元", .supplement, [12], nil, "3号楼2单元"),
        ("已处理 修好了", .resolve, [], nil, "修好了"),
        // The note keeps the sender's own punctuation and digits; only matching folds them.
        ("已处理 ＃１２ 已更换水管，阀门也换了３个。", .resolve, [12], nil, "已更换水管，阀门也换了３个"),
    ])
    func commandsAreRecognised(text: String, verb: CommandVerb, ids: [Int64], target: String?, note: String) throws {
        let command = try #require(Self.parser.command(in: text))
        #expect(command.verb == verb)
        #expect(command.reportIDs == ids)
        #expect(command.target == target)
        #expect(command.note == note)
    }

    @Test(arguments: ["收到货了吗", "处理中的问题什么时候能解决", "3号楼电梯坏了", "#", "满意度调查开始了"])
    func ordinaryMessagesAreNotCommands(text: String) {
        #expect(Self.parser.command(in: text) == nil)
    }

    @Test func unknownVerbsInTheFileNameTheirLine() {
        #expect(throws: DataFileError(line: 2, message: "unknown command verb 'finish'")) {
            try ChatCommandParser(parsing: "acknowledge 收到\nfinish 完成")
        }
    }
}
