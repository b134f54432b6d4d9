import Foundation

/// Where to tell someone about their task or voucher: the chat they wrote from.
public struct ChatContact: Sendable, Equatable {
    public var platform: ChatPlatform
    public var userID: String
    public var botCode: String
    public var chatID: String
    public var replyURL: String?

    public init(platform: ChatPlatform, userID: String, botCode: String, chatID: String, replyURL: String?) {
        self.platform = platform
        self.userID = userID
        self.botCode = botCode
        self.chatID = chatID
        self.replyURL = replyURL
    }

    /// The contact of whoever sent a message.
    public init(_ message: InboundMessage) {
        self.init(platform: message.platform, userID: message.senderID, botCode: message.botCode, chatID: message.chatID, replyURL: message.replyURL)
    }
}

/// A volunteer task with its standing.
public struct TaskRecord: Sendable, Equatable {
    public var task: VolunteerTask
    public var isOpen: Bool
    /// Who posted it (nil for a seeded task).
    public var createdBy: String?
    /// How many enrolments hold a slot.
    public var slotsTaken: Int

    public init(task: VolunteerTask, isOpen: Bool, createdBy: String? = nil, slotsTaken: Int) {
        self.task = task
        self.isOpen = isOpen
        self.createdBy = createdBy
        self.slotsTaken = slotsTaken
    }
}

/// One person's part in a task.
public struct Enrolment: Sendable, Equatable {
    public var id: Int64
    public var taskCode: String
    public var personCode: String
    public var personName: String
    public var householdCode: String
    public var status: EnrolmentStatus
    public var note: String?
    public var photos: Int
    public var reason: String?
    public var reviewerCode: String?
    public var rewardPoints: Int64?
    public var signedUpAt: Date
    public var completedAt: Date?
    public var reviewedAt: Date?
    public var contact: ChatContact

    public var state: EnrolmentState { EnrolmentState(status: status, personCode: personCode, householdCode: householdCode) }

    public init(
        id: Int64, taskCode: String, personCode: String, personName: String, householdCode: String, status: EnrolmentStatus,
        note: String? = nil, photos: Int, reason: String? = nil, reviewerCode: String? = nil, rewardPoints: Int64? = nil,
        signedUpAt: Date, completedAt: Date? = nil, reviewedAt: Date? = nil, contact: ChatContact
    ) {
        self.id = id
        self.taskCode = taskCode
        self.personCode = personCode
        self.personName = personName
        self.householdCode = householdCode
        self.status = status
        self.note = note
        self.photos = photos
        self.reason = reason
        self.reviewerCode = reviewerCode
        self.rewardPoints = rewardPoints
        self.signedUpAt = signedUpAt
        self.completedAt = completedAt
        self.reviewedAt = reviewedAt
        self.contact = contact
    }
}

/// An issued voucher with its offer and merchant.
public struct Voucher: Sendable, Equatable {
    public var code: VoucherCode
    public var offerCode: String
    public var offerTitle: String
    public var merchantCode: String
    public var merchantName: String
    public var householdCode: String
    public var personCode: String
    public var points: Int64
    public var valueFen: Int64
    public var status: VoucherStatus
    public var issuedAt: Date
    public var expiresAt: Date
    public var redeemedAt: Date?
    /// The merchant's staff member who consumed it.
    public var redeemedBy: String?
    public var contact: ChatContact

    public var state: VoucherState {
        VoucherState(status: status, merchantCode: merchantCode, expiresAt: expiresAt, redeemedAt: redeemedAt, redeemedBy: redeemedBy)
    }

    public init(
        code: VoucherCode, offerCode: String, offerTitle: String, merchantCode: String, merchantName: String,
        householdCode: String, personCode: String, points: Int64, valueFen: Int64, status: VoucherStatus, issuedAt: Date,
        expiresAt: Date, redeemedAt: Date? = nil, redeemedBy: String? = nil, contact: ChatContact
    ) {
        self.code = code
        self.offerCode = offerCode
        self.offerTitle = offerTitle
        self.merchantCode = merchantCode
        self.merchantName = merchantName
        self.householdCode = householdCode
        self.personCode = personCode
        self.points = points
        self.valueFen = valueFen
        self.status = status
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.redeemedAt = redeemedAt
        self.redeemedBy = redeemedBy
        self.contact = contact
    }
}

/// An offer with its merchant's name.
public struct OfferRecord: Sendable, Equatable {
    public var offer: Offer
    public var merchantName: String

    public init(offer: Offer, merchantName: String) {
        self.offer = offer
        self.merchantName = merchantName
    }
}

/// One day of a merchant's settlement statement.
public struct StatementLine: Sendable, Equatable, Codable {
    /// `YYYY-MM-DD` in the community's time zone.
    public var day: String
    public var vouchers: Int
    public var points: Int64
    public var valueFen: Int64

    public init(day: String, vouchers: Int, points: Int64, valueFen: Int64) {
        self.day = day
        self.vouchers = vouchers
        self.points = points
        self.valueFen = valueFen
    }
}
