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
}
