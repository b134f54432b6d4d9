/// Where one person's part in a volunteer task stands.
public enum EnrolmentStatus: String, CaseIterable, Codable, Sendable, Hashable {
    /// Signed up (报名), holding a slot.
    case signedUp = "signed_up"
    /// Reported done (完成), waiting for a reviewer.
    case completed
    /// Approved (通过): the household was paid.
    case approved
    /// Rejected (驳回) with a reason; the person may complete it again before the deadline.
    case rejected
    /// Withdrawn (取消报名): the slot is free again.
    case withdrawn

    public var chineseName: String {
        switch self {
        case .signedUp: "已报名"
        case .completed: "待审核"
        case .approved: "已通过"
        case .rejected: "已驳回"
        case .withdrawn: "已取消"
        }
    }

    /// Whether the enrolment holds one of the task's slots.
    public var holdsSlot: Bool { self != .withdrawn }
}

/// What can be done to an enrolment.
public enum EnrolmentAction: Sendable, Equatable {
    case complete
    case approve
    case reject(reason: String)
    case withdraw
}

/// Who acts on an enrolment, as far as the rules care.
public struct EnrolmentActor: Sendable, Equatable {
    public var personCode: String?
    public var householdCode: String?
    /// Staff may review tasks (in the task's scope; the caller decides the scope).
    public var mayReview: Bool

    public init(personCode: String?, householdCode: String?, mayReview: Bool) {
        self.personCode = personCode
        self.householdCode = householdCode
        self.mayReview = mayReview
    }
}

/// The enrolment of one person in one task, as the rules see it.
public struct EnrolmentState: Sendable, Equatable {
    public var status: EnrolmentStatus
    public var personCode: String
    public var householdCode: String

    public init(status: EnrolmentStatus, personCode: String, householdCode: String) {
        self.status = status
        self.personCode = personCode
        self.householdCode = householdCode
    }
}

/// Why a task action was refused, in words for the person who tried it.
public struct TaskRuleError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}

/// The volunteer-task rules, with no I/O: sign-up limits, and each enrolment's lifecycle.
/// Approval is where points are earned, so it alone has an effect: pay the household.
public enum TaskRules {
    /// Whether a person may sign up: the task is open and not past its deadline, a slot is free,
    /// and they are not signed up already.
    public static func signUp(
        task: VolunteerTask, taskOpen: Bool, today: String, slotsTaken: Int, existing: EnrolmentStatus?, hasHousehold: Bool
    ) throws(TaskRuleError) {
        guard hasHousehold else { throw TaskRuleError("积分记入家庭账户，您还没有登记房屋，请联系网格员登记") }
        guard taskOpen else { throw TaskRuleError("任务 \(task.code) 已结束") }
        guard today <= task.deadline else { throw TaskRuleError("任务 \(task.code) 已过截止日期（\(task.deadline)）") }
        if let existing, existing.holdsSlot { throw TaskRuleError("您已报名任务 \(task.code)（\(existing.chineseName)），每人限报一次") }
        guard slotsTaken < task.slots else { throw TaskRuleError("任务 \(task.code) 名额已满（\(task.slots) 人）") }
    }

    /// The status after an action, or why it is refused.
    public static func apply(
        _ action: EnrolmentAction, to state: EnrolmentState, by actor: EnrolmentActor, task: VolunteerTask, today: String
    ) throws(TaskRuleError) -> EnrolmentStatus {
        switch action {
        case .complete:
            guard actor.personCode == state.personCode else { throw TaskRuleError("只有报名人本人可以提交完成") }
            switch state.status {
            case .signedUp, .rejected:
                guard today <= task.deadline else { throw TaskRuleError("任务 \(task.code) 已过截止日期（\(task.deadline)），无法提交") }
                return .completed
            case .completed: throw TaskRuleError("已提交过，正在等待审核")
            case .approved: throw TaskRuleError("已审核通过，积分已发放")
            case .withdrawn: throw TaskRuleError("您已取消报名，请重新报名")
            }
        case .approve, .reject:
            guard actor.mayReview else { throw TaskRuleError("只有网格员、网格长或社区工作人员可以审核任务") }
            guard actor.personCode != state.personCode else { throw TaskRuleError("不能审核自己完成的任务") }
            guard actor.householdCode == nil || actor.householdCode != state.householdCode else { throw TaskRuleError("不能审核自己家庭成员完成的任务") }
            switch state.status {
            case .completed:
                if case .reject(let reason) = action, reason.isEmpty { throw TaskRuleError("请写明驳回原因") }
                return action == .approve ? .approved : .rejected
            case .approved: throw TaskRuleError("已审核通过，积分已发放，不会重复发放")
            case .signedUp, .rejected: throw TaskRuleError("还没有提交完成，无法审核")
            case .withdrawn: throw TaskRuleError("已取消报名")
            }
        case .withdraw:
            guard actor.personCode == state.personCode else { throw TaskRuleError("只有报名人本人可以取消报名") }
            switch state.status {
            case .signedUp, .rejected: return .withdrawn
            case .completed: throw TaskRuleError("已提交完成，正在等待审核，不能取消")
            case .approved: throw TaskRuleError("已审核通过，不能取消")
            case .withdrawn: throw TaskRuleError("已经取消过了")
            }
        }
    }

    /// The reward transfer's id: one per task and person, so an approval delivered twice (or two
    /// reviewers at once) pays once.
    public static func rewardTransferID(task: String, person: String) -> String { "reward:\(task):\(person)" }
}
