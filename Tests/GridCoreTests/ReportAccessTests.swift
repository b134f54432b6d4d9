import Foundation
import GridCore
import Testing

@Suite struct ReportAccessTests {
    static let assignment = ReportAssignment(gridCode: "G03", gridChain: ["G03", "HX"], departmentCode: "property", buildingCode: "12")

    static func person(_ role: Role, grid: String? = nil, building: String? = nil, department: String? = nil) -> Person {
        Person(code: "P", name: "某人", role: role, gridCode: grid, buildingCode: building, departmentCode: department)
    }

    @Test func assigneesAndSupervisorsAreTold() {
        func actor(_ person: Person?) -> ReportActor { ReportAccess.actor(person, senderID: "x", on: Self.assignment) }
        #expect(actor(Self.person(.gridWorker, grid: "G03")).isAssignee)
        #expect(!actor(Self.person(.gridWorker, grid: "G05")).isAssignee, "a worker of another grid")
        #expect(actor(Self.person(.gridHead, grid: "HX")).supervises, "the head of the grid above")
        #expect(!actor(Self.person(.gridHead, grid: "G05")).supervises)
        #expect(actor(Self.person(.departmentStaff, department: "property")).isAssignee)
        #expect(!actor(Self.person(.departmentStaff, department: "city")).isAssignee)
        #expect(actor(Self.person(.buildingHead, building: "12")).isAssignee)
        #expect(actor(Self.person(.communityAdmin)).supervises)
        let stranger = actor(nil)
        #expect(!stranger.isAssignee && !stranger.supervises && stranger.role == .resident)
    }
}
