/// Where a report is in the work-order loop (发现上报 → 派单 → 签收 → 处置 → 核实 → 办结 → 回访).
public enum ReportStatus: String, CaseIterable, Codable, Sendable, Hashable {
    /// Recorded, waiting to be dispatched (待派单).
    case received
    /// Dispatched to a grid or department, waiting to be acknowledged (已派单).
    case assigned
    /// Acknowledged by the handler (已签收).
    case acknowledged
    /// Being handled (处置中).
    case inProgress = "in_progress"
    /// The handler says it is done (已处置), waiting for someone else to verify.
    case resolved
    /// Verified by someone other than the handler (已核实), waiting to be closed.
    case verified
    /// Closed (办结); the reporter is asked whether they are satisfied.
    case closed
    /// Merged into another report, which carries its reporters on.
    case merged

    /// The name supervisors and residents read.
    public var chineseName: String {
        switch self {
        case .received: "待派单"
        case .assigned: "已派单"
        case .acknowledged: "已签收"
        case .inProgress: "处置中"
        case .resolved: "已处置"
        case .verified: "已核实"
        case .closed: "已办结"
        case .merged: "已合并"
        }
    }

    /// Whether the report still needs work.
    public var isOpen: Bool {
        switch self {
        case .received, .assigned, .acknowledged, .inProgress, .resolved, .verified: true
        case .closed, .merged: false
        }
    }
}

/// Who acts on a report, as the lifecycle needs to know them.
public struct ReportActor: Sendable, Equatable {
    public var personCode: String
    public var role: Role
    /// Whether the report is currently assigned to this person's grid or department (or was
    /// transferred to them).
    public var isAssignee: Bool
    /// Whether this person answers for the report's grid above the assignee (grid head,
    /// community admin).
    public var supervises: Bool

    public init(personCode: String, role: Role, isAssignee: Bool, supervises: Bool) {
        self.personCode = personCode
        self.role = role
        self.isAssignee = isAssignee
        self.supervises = supervises
    }

    /// The system itself (dispatching, closing after verification).
    public static let system = ReportActor(personCode: "system", role: .communityAdmin, isAssignee: false, supervises: true)
}

/// Something done to a report.
public enum ReportAction: Sendable, Equatable {
    case assign(to: String)
    case acknowledge
    case start
    case resolve(note: String?)
    case transfer(to: String, reason: String)
    case `return`(reason: String)
    case verify
    case close
    case reopen(reason: String)
    case merge(into: Int64)
    /// Undoes a merge: the report is its own again, in the status it had when it was merged
    /// (an open one; a report merged before it was dispatched is dispatched anew).
    case split(restoring: ReportStatus)
    /// The reporter's answer to the satisfaction visit (回访).
    case rate(satisfied: Bool)

    /// Whether the report's own handlers may take this step (a supervisor's steps, such as
    /// dispatching and closing, need a grid head whoever holds the report).
    public var isHandlers: Bool {
        switch self {
        case .acknowledge, .start, .resolve, .transfer, .return, .verify: true
        case .assign, .close, .reopen, .merge, .split, .rate: false
        }
    }

    /// The verb staff know the action by, for a refusal ("无法核实").
    public var verb: String {
        switch self {
        case .assign: "派单"
        case .acknowledge: "签收"
        case .start: "开始处置"
        case .resolve: "办结处置"
        case .transfer: "转办"
        case .return: "退回"
        case .verify: "核实"
        case .close: "办结"
        case .reopen: "重新打开"
        case .merge: "合并"
        case .split: "拆分"
        case .rate: "评价"
        }
    }
}

/// Why an action was refused: one line for the chat reply.
public enum ReportRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    case notAllowed(String)
    case wrongState(ReportStatus)
    case reasonRequired
    case alreadyRated
    case verifierMustDiffer

    public var description: String {
        switch self {
        case .notAllowed(let what): "无权操作：\(what)"
        case .wrongState(let status): "当前状态为「\(status.chineseName)」，不能进行此操作"
        case .reasonRequired: "请写明原因"
        case .alreadyRated: "本次回访已经评价过了"
        case .verifierMustDiffer: "核实须由处置人以外的人进行"
        }
    }
}

/// A report's lifecycle facts the state machine reads.
public struct ReportState: Sendable, Equatable {
    public var status: ReportStatus
    /// Who marked it resolved (the verifier must be someone else).
    public var resolvedBy: String?
    /// Whether the reporter already answered the satisfaction visit since the last closure.
    public var rated: Bool
    /// Whether a dissatisfied rating already reopened it (it reopens once).
    public var reopenedByRating: Bool

    public init(status: ReportStatus, resolvedBy: String? = nil, rated: Bool = false, reopenedByRating: Bool = false) {
        self.status = status
        self.resolvedBy = resolvedBy
        self.rated = rated
        self.reopenedByRating = reopenedByRating
    }
}

/// What follows from an accepted action, for the I/O around the state machine to carry out.
public enum ReportEffect: Sendable, Equatable {
    /// Tell the reporters (and merged reporters) the new status.
    case notifyReporters(ReportStatus)
    /// Ask the reporters whether they are satisfied.
    case askSatisfaction
    /// Tell the grid head (a dissatisfied reporter, a return).
    case notifyGridHead
    /// Post the report card to the new assignee's chat.
    case postCard(to: String)
}

/// The report lifecycle: a pure function from state, action and actor to the next state and its
/// effects. Every (status, action) pair is decided here; nothing else changes a report's status.
public enum ReportLifecycle {
    public struct Transition: Sendable, Equatable {
        public var state: ReportState
        public var effects: [ReportEffect]

        public init(state: ReportState, effects: [ReportEffect]) {
            self.state = state
            self.effects = effects
        }
    }

    public static func apply(_ action: ReportAction, to state: ReportState, by actor: ReportActor) throws(ReportRefusal) -> Transition {
        var next = state
        let staff = actor.role.isStaff
        let handler = actor.isAssignee || actor.supervises
        switch action {
        case .assign(let target):
            guard actor.supervises else { throw .notAllowed("派单须由网格长或社区进行") }
            guard state.status == .received else { throw .wrongState(state.status) }
            next.status = .assigned
            return Transition(state: next, effects: [.postCard(to: target)])

        case .acknowledge:
            guard handler, staff else { throw .notAllowed("只有承办人可以签收") }
            guard state.status == .assigned else { throw .wrongState(state.status) }
            next.status = .acknowledged
            return Transition(state: next, effects: [.notifyReporters(.acknowledged)])

        case .start:
            guard handler, staff else { throw .notAllowed("只有承办人可以开始处置") }
            guard state.status == .assigned || state.status == .acknowledged else { throw .wrongState(state.status) }
            next.status = .inProgress
            return Transition(state: next, effects: [])

        case .resolve:
            guard handler, staff else { throw .notAllowed("只有承办人可以办结处置") }
            switch state.status {
            case .assigned, .acknowledged, .inProgress: break
            case .received, .resolved, .verified, .closed, .merged: throw .wrongState(state.status)
            }
            next.status = .resolved
            next.resolvedBy = actor.personCode
            return Transition(state: next, effects: [.notifyReporters(.resolved)])

        case .transfer(let target, let reason):
            guard handler, staff else { throw .notAllowed("只有承办人或网格长可以转办") }
            guard !reason.allSatisfy(\.isWhitespace) else { throw .reasonRequired }
            switch state.status {
            case .received, .assigned, .acknowledged, .inProgress: break
            case .resolved, .verified, .closed, .merged: throw .wrongState(state.status)
            }
            next.status = .assigned
            return Transition(state: next, effects: [.postCard(to: target)])

        case .return(let reason):
            guard actor.isAssignee, staff else { throw .notAllowed("只有承办人可以退回") }
            guard !reason.allSatisfy(\.isWhitespace) else { throw .reasonRequired }
            guard state.status == .assigned || state.status == .acknowledged else { throw .wrongState(state.status) }
            next.status = .received
            return Transition(state: next, effects: [.notifyGridHead])

        case .verify:
            guard staff, actor.supervises || actor.isAssignee else { throw .notAllowed("只有网格工作人员可以核实") }
            guard state.status == .resolved else { throw .wrongState(state.status) }
            guard actor.personCode != state.resolvedBy else { throw .verifierMustDiffer }
            next.status = .verified
            return Transition(state: next, effects: [])

        case .close:
            guard actor.supervises else { throw .notAllowed("办结须由网格长或社区进行") }
            guard state.status == .verified else { throw .wrongState(state.status) }
            next.status = .closed
            next.rated = false
            return Transition(state: next, effects: [.notifyReporters(.closed), .askSatisfaction])

        case .reopen(let reason):
            guard actor.supervises else { throw .notAllowed("重新打开须由网格长或社区进行") }
            guard !reason.allSatisfy(\.isWhitespace) else { throw .reasonRequired }
            switch state.status {
            case .resolved, .verified, .closed: break
            case .received, .assigned, .acknowledged, .inProgress, .merged: throw .wrongState(state.status)
            }
            next.status = .assigned
            next.resolvedBy = nil
            return Transition(state: next, effects: [.notifyReporters(.assigned)])

        case .merge:
            guard staff else { throw .notAllowed("只有工作人员可以合并") }
            guard state.status.isOpen else { throw .wrongState(state.status) }
            next.status = .merged
            return Transition(state: next, effects: [])

        case .split(let restoring):
            guard staff else { throw .notAllowed("只有工作人员可以拆分") }
            guard state.status == .merged else { throw .wrongState(state.status) }
            // A merge leaves the report's resolution and assignment as they were; the split
            // gives back the status too. Before dispatch there is nothing to give back.
            let restored: ReportStatus = restoring.isOpen && restoring != .received ? restoring : .assigned
            next.status = restored
            if restored == .assigned || restored == .acknowledged || restored == .inProgress { next.resolvedBy = nil }
            // The split's own notice tells the reporters, naming the report they leave.
            return Transition(state: next, effects: [])

        case .rate(let satisfied):
            guard state.status == .closed else { throw .wrongState(state.status) }
            guard !state.rated else { throw .alreadyRated }
            next.rated = true
            guard !satisfied, !state.reopenedByRating else { return Transition(state: next, effects: []) }
            // 不满意 reopens the report once and tells the grid head.
            next.status = .assigned
            next.resolvedBy = nil
            next.reopenedByRating = true
            return Transition(state: next, effects: [.notifyGridHead, .notifyReporters(.assigned)])
        }
    }
}
