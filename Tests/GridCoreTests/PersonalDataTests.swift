import GridCore
import Testing

@Suite struct PersonalDataTests {
    @Test func mobileNumbersAreFoundAndMaskedAsPeopleWriteThem() {
        #expect(PersonalData.mask("电话13812345678") == "电话138****5678")
        #expect(PersonalData.mask("打 138 0013 8000 找我") == "打 138****8000 找我")
        #expect(PersonalData.mask("138-0013-8000") == "138****8000")
        #expect(PersonalData.find(in: "3号楼2单元502").isEmpty)
        #expect(PersonalData.find(in: "12345678901").isEmpty, "not a mobile prefix")
    }

    @Test func idNumbersKeepOnlyTheirEnds() {
        let text = "身份证11010519491231002X丢了"
        #expect(PersonalData.find(in: text).map(\.kind) == [.idNumber])
        #expect(PersonalData.mask(text) == "身份证110105********002X丢了")
    }

    @Test func aBarePhoneFieldIsMasked() {
        #expect(PersonalData.mask("13900000001") == "139****0001")
        #expect(PersonalData.isPhoneNumber("010-88886666"))
        #expect(!PersonalData.isPhoneNumber("3号楼"))
    }

    /// Every form the security test found unmasked (#15 item 5).
    @Test func theFormsPeopleActuallyWriteAreMaskedToo() {
        #expect(PersonalData.mask("电话１３８１２３４５６７８") == "电话１３８****５６７８", "full-width digits")
        #expect(PersonalData.mask("打+86 138 1234 5678") == "打+86*******5678", "a country code with spaces")
        #expect(PersonalData.mask("8613812345678") == "861******5678")
        #expect(PersonalData.mask("身份证 110105 19491231 002X") == "身份证 110105********002X", "an ID number in groups")
        #expect(PersonalData.mask("502室 13812345678") == "502室 138****5678")
        #expect(PersonalData.mask("502 13812345678") == "502 138****5678", "a room number before the phone stays apart")
        #expect(PersonalData.phoneNumbers(in: "+86 138 1234 5678、１３９００００１１１１") == ["13812345678", "13900001111"])
        #expect(PersonalData.find(in: "3号楼 2单元 502 楼道灯坏了 12 天").isEmpty)
    }

    @Test func namesAreMaskedWhereTheyIntroduceSomeoneOrAreKnown() {
        #expect(PersonalData.maskNames("我是王芳，3号楼502") == "我是王*，3号楼502")
        #expect(PersonalData.maskNames("联系人：张秀英 电话见上") == "联系人：张** 电话见上")
        #expect(PersonalData.maskNames("请潘红梅来看看", known: ["潘红梅"]) == "请潘**来看看")
        #expect(PersonalData.maskNames("我是说电梯又坏了") == "我是说电梯又坏了", "我是说 introduces no one")
        #expect(PersonalData.maskNames("我住3号楼，我叫李强") == "我住3号楼，我叫李*")
    }

    @Test func everyRoomIsHiddenFromThePublicButNotBuildingsOrAmounts() {
        #expect(PersonalData.maskRooms("3号楼2单元502漏水") == "3号楼2单元×××漏水")
        #expect(PersonalData.maskRooms("楼上1202漏水到我家902") == "楼上×××漏水到我家×××", "a second room too")
        #expect(PersonalData.maskRooms("3单元五零二室门口") == "3单元×××室门口", "a room in Chinese numerals")
        #expect(PersonalData.maskRooms("12号楼15层 停电200分钟 赔200元 2026年") == "12号楼15层 停电200分钟 赔200元 2026年")
        #expect(PersonalData.maskRooms("一二三号楼") == "一二三号楼")
    }
}
