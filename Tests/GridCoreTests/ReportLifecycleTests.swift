import GridCore
import Testing

@Suite struct ReportLifecycleTests {
    static let worker = ReportActor(personCode: "W03", role: .gridWorker, isAssignee: true, supervises: false)
    static let otherWorker = ReportActor(personCode: "W05", role: .gridWorker, isAssignee: false, supervises: false)
    static let head = ReportActor(personCode: "GH1", role: .gridHead, isAssignee: false, supervises: true)
    static let resident = ReportActor(personCode: "R1", role: .resident, isAssignee: false, supervises: false)

    static func run(_ steps: [(ReportAction, ReportActor)], from status: ReportStatus = .received) throws -> ReportLifecycle.Transition {
        var state = ReportState(status: status)
        var last = ReportLifecycle.Transition(state: state, effects: [])
        for (action, actor) in steps {
            last = try ReportLifecycle.apply(action, to: state, by: actor)
            state = last.state
        }
        return last
    }

    @Test func theWholeLoopFromDispatchToSatisfaction() throws {
        let closed = try Self.run([
            (.assign(to: "G03"), .system), (.acknowledge, Self.worker), (.start, Self.worker),
            (.resolve(note: "已更换水管"), Self.worker), (.verify, Self.head), (.close, .system),
        ])
        #expect(closed.state.status == .closed)
        #expect(closed.effects == [.notifyReporters(.closed), .askSatisfaction])
        let rated = try ReportLifecycle.apply(.rate(satisfied: true), to: closed.state, by: Self.resident)
        #expect(rated.state.status == .closed)
        #expect(rated.state.rated)
    }

    @Test func theResolverCannotVerifyTheirOwnWork() throws {
        let resolved = try Self.run([(.assign(to: "G03"), .system), (.resolve(note: nil), Self.worker)])
        #expect(resolved.state.resolvedBy == "W03")
        #expect(throws: ReportRefusal.verifierMustDiffer) { try ReportLifecycle.apply(.verify, to: resolved.state, by: Self.worker) }
        #expect(try ReportLifecycle.apply(.verify, to: resolved.state, by: Self.head).state.status == .verified)
    }

    @Test func residentsAndOtherGridsCannotActOnAReport() throws {
        let assigned = ReportState(status: .assigned)
        for action in [ReportAction.acknowledge, .start, .resolve(note: nil), .close, .verify, .transfer(to: "x", reason: "r")] {
            #expect(throws: ReportRefusal.self) { try ReportLifecycle.apply(action, to: assigned, by: Self.resident) }
        }
        #expect(throws: ReportRefusal.self) { try ReportLifecycle.apply(.acknowledge, to: assigned, by: Self.otherWorker) }
        #expect(throws: ReportRefusal.self) { try ReportLifecycle.apply(.merge(into: 1), to: assigned, by: Self.resident) }
    }

    @Test func transferAndReturnNeedAReason() throws {
        let assigned = ReportState(status: .assigned)
        #expect(throws: ReportRefusal.reasonRequired) { try ReportLifecycle.apply(.transfer(to: "property", reason: "  "), to: assigned, by: Self.worker) }
        #expect(throws: ReportRefusal.reasonRequired) { try ReportLifecycle.apply(.return(reason: ""), to: assigned, by: Self.worker) }
        let transferred = try ReportLifecycle.apply(.transfer(to: "property", reason: "属物业管辖"), to: assigned, by: Self.worker)
        #expect(transferred.state.status == .assigned)
        #expect(transferred.effects == [.postCard(to: "property")])
        let returned = try ReportLifecycle.apply(.return(reason: "不属于本网格"), to: assigned, by: Self.worker)
        #expect(returned.state.status == .received)
        #expect(returned.effects == [.notifyGridHead])
    }

    @Test func aDissatisfiedReporterReopensTheReportOnce() throws {
        let closed = try Self.run([
            (.assign(to: "G03"), .system), (.resolve(note: nil), Self.worker), (.verify, Self.head), (.close, .system),
        ])
        let reopened = try ReportLifecycle.apply(.rate(satisfied: false), to: closed.state, by: Self.resident)
        #expect(reopened.state.status == .assigned)
        #expect(reopened.effects.contains(.notifyGridHead))
        #expect(throws: ReportRefusal.alreadyRated) { try ReportLifecycle.apply(.rate(satisfied: false), to: closed.state.with(rated: true), by: Self.resident) }
        // Handled again and closed again: a second 不满意 is recorded but does not reopen.
        var state = reopened.state
        for (action, actor) in [(ReportAction.resolve(note: nil), Self.worker), (.verify, Self.head), (.close, .system)] {
            state = try ReportLifecycle.apply(action, to: state, by: actor).state
        }
        let second = try ReportLifecycle.apply(.rate(satisfied: false), to: state, by: Self.resident)
        #expect(second.state.status == .closed)
        #expect(second.effects.isEmpty)
    }

    /// Every status × action pair is decided: either a transition to a known status or a refusal,
    /// never a crash, and closed or merged reports only accept what the loop allows.
    @Test(arguments: ReportStatus.allCases)
    func everyPairIsDecided(status: ReportStatus) {
        let actions: [ReportAction] = [
            .assign(to: "G"), .acknowledge, .start, .resolve(note: nil), .transfer(to: "d", reason: "r"), .return(reason: "r"),
            .verify, .close, .reopen(reason: "r"), .merge(into: 9), .split(restoring: .resolved), .rate(satisfied: false), .rate(satisfied: true),
        ]
        for action in actions {
            for actor in [Self.worker, Self.head, Self.resident, Self.otherWorker, ReportActor.system] {
                do {
                    let transition = try ReportLifecycle.apply(action, to: ReportState(status: status, resolvedBy: "someone-else"), by: actor)
                    if status == .merged, action != .split(restoring: .resolved) { Issue.record("a merged report accepted \(action)") }
                    if action == .split(restoring: .resolved) { #expect(status == .merged, "only a merged report splits") }
                    if status == .closed {
                        #expect([.reopen(reason: "r"), .rate(satisfied: false), .rate(satisfied: true)].contains(action), "closed accepted \(action)")
                    }
                    if actor == Self.resident {
                        #expect([.rate(satisfied: false), .rate(satisfied: true)].contains(action), "a resident only rates; accepted \(action) on \(status)")
                    }
                    if transition.state.status != status, status.isOpen == false, status != .resolved, status != .verified {
                        #expect([.reopen(reason: "r"), .rate(satisfied: false), .split(restoring: .resolved)].contains(action), "\(action) moved a \(status) report")
                    }
                } catch {
                    // A refusal names the report's real state, and every action here gives its reason.
                    if case .wrongState(let named) = error { #expect(named == status, "refused naming \(named) on a \(status) report") }
                    #expect(error != .reasonRequired, "\(action) gave a reason and was refused for lacking one")
                }
            }
        }
    }
}

extension ReportState {
    func with(rated: Bool) -> ReportState {
        var copy = self
        copy.rated = rated
        return copy
    }
}
