import Foundation
import GridCore
import Testing

@Suite struct DeadlinePolicyTests {
    @Test func theStandardDeadlinesAreTheIssuesOwn() {
        let policy = DeadlinePolicy.standard
        #expect(policy.limit(.acknowledge, .emergency) == .seconds(300))
        #expect(policy.limit(.acknowledge, .urgent) == .seconds(1800))
        #expect(policy.limit(.acknowledge, .normal) == .seconds(7200))
        #expect(policy.limit(.resolve, .emergency) == .seconds(7200))
        #expect(policy.limit(.resolve, .urgent) == .seconds(86400))
        #expect(policy.limit(.resolve, .normal) == .workingDays(3))
    }

    @Test func overridesChangeOnlyWhatTheyName() throws {
        let policy = try DeadlinePolicy(overriding: "normal.resolve=5wd, emergency.acknowledge=10m")
        #expect(policy.limit(.resolve, .normal) == .workingDays(5))
        #expect(policy.limit(.acknowledge, .emergency) == .seconds(600))
        #expect(policy.limit(.acknowledge, .urgent) == .seconds(1800))
    }

    @Test(arguments: ["normal=5wd", "later.resolve=1h", "normal.close=1h", "normal.resolve=5y", "normal.resolve=-1h", "normal.resolve=0m"])
    func badEntriesAreRefused(spec: String) {
        #expect(throws: DeadlinePolicyError.self) { try DeadlinePolicy(overriding: spec) }
    }

    @Test func remindersComeBeforeAndEscalationsAfter() {
        let policy = DeadlinePolicy.standard
        let start = Date(timeIntervalSince1970: 0)
        let due = start.addingTimeInterval(300)
        #expect(policy.reminder(start: start, due: due) == start.addingTimeInterval(240))
        #expect(policy.escalation(to: .gridHead, start: start, due: due) == due)
        #expect(policy.escalation(to: .community, start: start, due: due) == due.addingTimeInterval(300))
        #expect(policy.escalation(to: .street, start: start, due: due) == due.addingTimeInterval(600))
        #expect(EscalationLevel.gridWorker.next == .gridHead && EscalationLevel.street.next == nil)
    }
}
