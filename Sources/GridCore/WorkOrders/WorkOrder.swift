import Foundation

/// A report as first recorded from a message (the closed loop adds its later life).
public struct NewReport: Sendable, Equatable {
    public var category: ReportCategory
    public var urgency: Urgency
    public var location: Location
    public var confidence: Double
    /// Recorded but marked for a person to look at: the parser was unsure.
    public var needsTriage: Bool

    public init(category: ReportCategory, urgency: Urgency, location: Location, confidence: Double, needsTriage: Bool) {
        self.category = category
        self.urgency = urgency
        self.location = location
        self.confidence = confidence
        self.needsTriage = needsTriage
    }
}


/// A report as the closed loop sees it: what was reported, where it is in its lifecycle and who
/// answers for it now.
public struct WorkOrder: Sendable, Equatable {
    public var id: Int64
    public var messageID: Int64
    public var groupCode: String?
    public var category: ReportCategory
    public var urgency: Urgency
    public var location: Location
    public var text: String
    public var needsTriage: Bool
    public var status: ReportStatus
    /// The grid answering for it now (nil only for reports recorded before the closed loop).
    public var assigneeGrid: String?
    /// The department acting on it, if any.
    public var departmentCode: String?
    public var resolvedBy: String?
    public var rated: Bool
    public var reopenedByRating: Bool
    public var mergedInto: Int64?
    public var createdAt: Date
    public var assignedAt: Date?
    public var acknowledgedAt: Date?
    public var resolvedAt: Date?
    public var closedAt: Date?

    /// The facts the lifecycle state machine reads.
    public var state: ReportState {
        get { ReportState(status: status, resolvedBy: resolvedBy, rated: rated, reopenedByRating: reopenedByRating) }
        set {
            status = newValue.status
            resolvedBy = newValue.resolvedBy
            rated = newValue.rated
            reopenedByRating = newValue.reopenedByRating
        }
    }

    public init(
        id: Int64, messageID: Int64, groupCode: String? = nil, category: ReportCategory, urgency: Urgency, location: Location,
        text: String, needsTriage: Bool, status: ReportStatus, assigneeGrid: String? = nil, departmentCode: String? = nil,
        resolvedBy: String? = nil, rated: Bool, reopenedByRating: Bool, mergedInto: Int64? = nil, createdAt: Date,
        assignedAt: Date? = nil, acknowledgedAt: Date? = nil, resolvedAt: Date? = nil, closedAt: Date? = nil
    ) {
        self.id = id
        self.messageID = messageID
        self.groupCode = groupCode
        self.category = category
        self.urgency = urgency
        self.location = location
        self.text = text
        self.needsTriage = needsTriage
        self.status = status
        self.assigneeGrid = assigneeGrid
        self.departmentCode = departmentCode
        self.resolvedBy = resolvedBy
        self.rated = rated
        self.reopenedByRating = reopenedByRating
        self.mergedInto = mergedInto
        self.createdAt = createdAt
        self.assignedAt = assignedAt
        self.acknowledgedAt = acknowledgedAt
        self.resolvedAt = resolvedAt
        self.closedAt = closedAt
    }
}

/// One step on a report's timeline (时间轴).
public struct ReportEvent: Sendable, Equatable {
    public var reportID: Int64
    public var at: Date
    /// The person's code, `system`, or `im:<id>` for someone GridBot does not know.
    public var actorCode: String
    public var actorName: String?
    /// The actor's role (`system` for GridBot itself).
    public var actorRole: String
    /// What was done: received, assign, acknowledge, start, resolve, transfer, return, verify,
    /// close, reopen, merge, merged_into, split, rate, supplement, remind, escalate, duplicate.
    public var action: String
    public var fromStatus: ReportStatus?
    public var toStatus: ReportStatus?
    public var note: String?

    public init(reportID: Int64, at: Date, actorCode: String, actorName: String?, actorRole: String, action: String,
                fromStatus: ReportStatus? = nil, toStatus: ReportStatus? = nil, note: String? = nil) {
        self.reportID = reportID
        self.at = at
        self.actorCode = actorCode
        self.actorName = actorName
        self.actorRole = actorRole
        self.action = action
        self.fromStatus = fromStatus
        self.toStatus = toStatus
        self.note = note
    }
}

/// Someone told of a report's progress, and where to tell them.
public struct Reporter: Sendable, Equatable {
    public var platform: ChatPlatform
    public var userID: String
    public var name: String?
    public var botCode: String
    public var chatID: String
    /// Their message, which notices quote.
    public var messageID: String?
    public var replyURL: String?
    /// The report they first reported (a split sends them back to it).
    public var originReportID: Int64

    public init(platform: ChatPlatform, userID: String, name: String?, botCode: String, chatID: String,
                messageID: String?, replyURL: String?, originReportID: Int64) {
        self.platform = platform
        self.userID = userID
        self.name = name
        self.botCode = botCode
        self.chatID = chatID
        self.messageID = messageID
        self.replyURL = replyURL
        self.originReportID = originReportID
    }
}

/// One deadline stage of a report: acknowledge or resolve, for one assignment.
public struct StageRecord: Sendable, Equatable {
    public var id: Int64
    public var reportID: Int64
    public var stage: DeadlineStage
    public var gridCode: String
    public var departmentCode: String?
    public var startedAt: Date
    public var dueAt: Date
    public var remindAt: Date
    public var reminded: Bool
    public var escalationLevel: EscalationLevel
    /// When the escalation service looks at it next (nil when nothing is left to do).
    public var nextCheckAt: Date?
    public var endedAt: Date?
    /// How it ended: done, transferred, returned, merged, closed.
    public var outcome: String?
    public var onTime: Bool?

    public init(
        id: Int64, reportID: Int64, stage: DeadlineStage, gridCode: String, departmentCode: String? = nil, startedAt: Date,
        dueAt: Date, remindAt: Date, reminded: Bool, escalationLevel: EscalationLevel, nextCheckAt: Date? = nil,
        endedAt: Date? = nil, outcome: String? = nil, onTime: Bool? = nil
    ) {
        self.id = id
        self.reportID = reportID
        self.stage = stage
        self.gridCode = gridCode
        self.departmentCode = departmentCode
        self.startedAt = startedAt
        self.dueAt = dueAt
        self.remindAt = remindAt
        self.reminded = reminded
        self.escalationLevel = escalationLevel
        self.nextCheckAt = nextCheckAt
        self.endedAt = endedAt
        self.outcome = outcome
        self.onTime = onTime
    }
}

