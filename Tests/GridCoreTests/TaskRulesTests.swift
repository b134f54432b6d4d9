import Crypto
import Foundation
import GridCore
import Testing

@Suite struct TaskRulesTests {
    static let task = VolunteerTask(code: "T1", title: "清理3号楼楼道小广告", points: 10, slots: 2, deadline: "2026-11-20", buildingCode: "3")
    static let resident = EnrolmentActor(personCode: "R1", householdCode: "H-3-2-502", mayReview: false)
    static let sameHousehold = EnrolmentActor(personCode: "R2", householdCode: "H-3-2-502", mayReview: true)
    static let reviewer = EnrolmentActor(personCode: "W1", householdCode: nil, mayReview: true)
    static let state = EnrolmentState(status: .signedUp, personCode: "R1", householdCode: "H-3-2-502")

    @Test func signUpNeedsAFreeSlotAnOpenTaskAndNoEarlierSignUp() throws {
        try TaskRules.signUp(task: Self.task, taskOpen: true, today: "2026-11-20", slotsTaken: 1, existing: nil, hasHousehold: true)
        try TaskRules.signUp(task: Self.task, taskOpen: true, today: "2026-11-18", slotsTaken: 1, existing: .withdrawn, hasHousehold: true)
        #expect(throws: TaskRuleError.self) { try TaskRules.signUp(task: Self.task, taskOpen: true, today: "2026-11-18", slotsTaken: 2, existing: nil, hasHousehold: true) }
        #expect(throws: TaskRuleError.self) { try TaskRules.signUp(task: Self.task, taskOpen: true, today: "2026-11-21", slotsTaken: 0, existing: nil, hasHousehold: true) }
        #expect(throws: TaskRuleError.self) { try TaskRules.signUp(task: Self.task, taskOpen: false, today: "2026-11-18", slotsTaken: 0, existing: nil, hasHousehold: true) }
        #expect(throws: TaskRuleError.self) { try TaskRules.signUp(task: Self.task, taskOpen: true, today: "2026-11-18", slotsTaken: 0, existing: .completed, hasHousehold: true) }
        #expect(throws: TaskRuleError.self) { try TaskRules.signUp(task: Self.task, taskOpen: true, today: "2026-11-18", slotsTaken: 0, existing: nil, hasHousehold: false) }
    }

    @Test func theCompleterAndTheirHouseholdCannotApproveTheirOwnWork() throws {
        var state = Self.state
        state.status = try TaskRules.apply(.complete, to: state, by: Self.resident, task: Self.task, today: "2026-11-19")
        #expect(state.status == .completed)
        #expect(throws: TaskRuleError.self) { try TaskRules.apply(.approve, to: state, by: Self.resident, task: Self.task, today: "2026-11-19") }
        #expect(throws: TaskRuleError.self) { try TaskRules.apply(.approve, to: state, by: Self.sameHousehold, task: Self.task, today: "2026-11-19") }
        #expect(try TaskRules.apply(.approve, to: state, by: Self.reviewer, task: Self.task, today: "2026-11-25") == .approved, "review may come after the deadline")
        state.status = .approved
        #expect(throws: TaskRuleError.self) { try TaskRules.apply(.approve, to: state, by: Self.reviewer, task: Self.task, today: "2026-11-19") }
    }

    @Test func aRejectedCompletionMayBeRedoneBeforeTheDeadline() throws {
        var state = Self.state
        state.status = .completed
        state.status = try TaskRules.apply(.reject(reason: "还有两层没清理"), to: state, by: Self.reviewer, task: Self.task, today: "2026-11-19")
        #expect(state.status == .rejected)
        #expect(try TaskRules.apply(.complete, to: state, by: Self.resident, task: Self.task, today: "2026-11-20") == .completed)
        #expect(throws: TaskRuleError.self) { try TaskRules.apply(.complete, to: state, by: Self.resident, task: Self.task, today: "2026-11-21") }
        #expect(throws: TaskRuleError.self) { try TaskRules.apply(.complete, to: state, by: Self.reviewer, task: Self.task, today: "2026-11-20") }
        #expect(try TaskRules.apply(.withdraw, to: state, by: Self.resident, task: Self.task, today: "2026-11-20") == .withdrawn)
    }
}
