@testable import GridChat
import Testing

/// WeCom's XML is read by an XML parser, not by searching for the closing tag.
@Suite struct WeComXMLTests {
    @Test func aMessageThatContainsTheClosingTagIsReadWhole() throws {
        let xml = WeComXML("""
            <xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName><FromUserName><![CDATA[Zhang]]></FromUserName>\
            <CreateTime>1348831860</CreateTime><MsgType><![CDATA[text]]></MsgType>\
            <Content><![CDATA[电梯坏了</Content><MsgId>1</MsgId> 真的]]></Content><MsgId>1234567890123456</MsgId></xml>
            """)
        let fields = try #require(xml)
        #expect(fields["Content"] == "电梯坏了</Content><MsgId>1</MsgId> 真的")
        #expect(fields["MsgId"] == "1234567890123456", "the real MsgId, not the one inside the text")
        #expect(fields["FromUserName"] == "Zhang")
    }

    @Test func entitiesOutsideCDATAAreDecodedAndBrokenXMLIsRefused() {
        #expect(WeComXML("<xml><Content>3号楼 &lt;2单元&gt; &amp; 门口</Content></xml>")?["Content"] == "3号楼 <2单元> & 门口")
        #expect(WeComXML("<xml><Content>电梯坏了</xml>") == nil)
        #expect(WeComXML("not xml") == nil)
    }
}
