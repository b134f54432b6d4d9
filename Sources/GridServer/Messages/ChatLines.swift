import Foundation
import Mustache

/// The one-line answers GridBot gives in chat (`templates/chat/lines.txt`): a command carried out
/// or refused, a reporter's progress words. Every key must be in the file at start.
public enum ChatLine: String, CaseIterable, Sendable {
    case reportNeedsNumber = "report.needs_number"
    case reportNeedsNumberConsole = "report.needs_number_console"
    case reportNotFound = "report.not_found"
    case reportAlreadyReport = "report.already_report"
    case reportAcknowledged = "report.acknowledged"
    case reportAcknowledgedOverdue = "report.acknowledged_overdue"
    case reportStarted = "report.started"
    case reportResolved = "report.resolved"
    case reportNeedsTarget = "report.needs_target"
    case reportOutsideGrid = "report.outside_grid"
    case reportUnknownTarget = "report.unknown_target"
    case reportAssigned = "report.assigned"
    case reportTransferred = "report.transferred"
    case reportReturned = "report.returned"
    case reportVerified = "report.verified"
    case reportClosed = "report.closed"
    case reportReopened = "report.reopened"
    case reportMergeNeedsTwo = "report.merge_needs_two"
    case reportMergeIntoClosed = "report.merge_into_closed"
    case reportNotYours = "report.not_yours"
    case reportMerged = "report.merged"
    case reportNeverMerged = "report.never_merged"
    case reportSplit = "report.split"
    case reportSplitRestored = "report.split_restored"
    case reportMergeNeedsConfirmation = "report.merge_needs_confirmation"
    case reportOnlyReportersRate = "report.only_reporters_rate"
    case reportAlreadyRatedByYou = "report.already_rated_by_you"
    case reportRatedSatisfied = "report.rated_satisfied"
    case reportRatedDissatisfied = "report.rated_dissatisfied"
    case reportReopenedByRating = "report.reopened_by_rating"
    case reportSupplementedPlace = "report.supplemented_place"
    case reportSupplemented = "report.supplemented"
    case reportSupplementedUnknownBuilding = "report.supplemented_unknown_building"
    case correctionNeedsCategory = "correction.needs_category"
    case correctionSameCategory = "correction.same_category"
    case correctionCategory = "correction.category"
    case correctionNeedsUrgency = "correction.needs_urgency"
    case correctionSameUrgency = "correction.same_urgency"
    case correctionUrgency = "correction.urgency"
    case correctionNeedsBuilding = "correction.needs_building"
    case correctionNoBuilding = "correction.no_building"
    case correctionSamePlace = "correction.same_place"
    case correctionPlace = "correction.place"
    case correctionForbidden = "correction.forbidden"
    case correctionNotOpen = "correction.not_open"
    case correctionDone = "correction.done"
    case correctionRerouted = "correction.rerouted"
    case correctionDeadlinesRecounted = "correction.deadlines_recounted"
    case correctionMovedAway = "correction.moved_away"
    case careAsked = "care.asked"
    case careUnreachable = "care.unreachable"
    case careAlerted = "care.alerted"
    case careVisited = "care.visited"
    case careVisitDone = "care.visit_done"
    case careNothingToVisit = "care.nothing_to_visit"
    case careAllVisited = "care.all_visited"
    case careForbidden = "care.forbidden"
    case progressAcknowledged = "progress.acknowledged"
    case progressResolved = "progress.resolved"
    case progressClosed = "progress.closed"
    case progressReassigned = "progress.reassigned"
    case progressStatus = "progress.status"
    case progressMerged = "progress.merged"
    case progressSplit = "progress.split"
    case progressLate = "progress.late"
    case intakePromoted = "intake.promoted"
    case intakePromotedDuplicate = "intake.promoted_duplicate"
    case intakeAlreadyReport = "intake.already_report"
    case triageForbidden = "triage.forbidden"
    case triageNeedsQuote = "triage.needs_quote"
    case triageOutOfScope = "triage.out_of_scope"
    case triageDismissed = "triage.dismissed"
    case triageCardQuoted = "triage.card_quoted"
    case triageQuoteNotFound = "triage.quote_not_found"
    case triageNoMessage = "triage.no_message"
    case triagePromotedConsole = "triage.promoted_console"
    case triageBusy = "triage.busy"
    case triageNotACandidate = "triage.not_a_candidate"
    case triageDismissedConsole = "triage.dismissed_console"
    case triageAlreadyPromoted = "triage.already_promoted"
    case bindForbidden = "bind.forbidden"
    case bindNoBuilding = "bind.no_building"
    case bindAlreadyBound = "bind.already_bound"
    case pointsUnregistered = "points.unregistered"
    case pointsNoHousehold = "points.no_household"
    case pointsSentPrivately = "points.sent_privately"
    case pointsPrivateOnly = "points.private_only"
    case pointsWhatVoucher = "points.what_voucher"
    case pointsWhatVouchers = "points.what_vouchers"
    case pointsWhatBalance = "points.what_balance"
    case taskNotFound = "task.not_found"
    case taskNotEnrolled = "task.not_enrolled"
    case taskWithdrawn = "task.withdrawn"
    case taskPostForbidden = "task.post_forbidden"
    case taskNoBuilding = "task.no_building"
    case taskCommunityWide = "task.community_wide"
    case taskBuildingOutOfScope = "task.building_out_of_scope"
    case taskReviewForbidden = "task.review_forbidden"
    case taskOutOfScope = "task.out_of_scope"
    case taskJustReviewed = "task.just_reviewed"
    case taskApproved = "task.approved"
    case taskRejected = "task.rejected"
    case taskNoSuchEnrolee = "task.no_such_enrolee"
    case taskNothingToReview = "task.nothing_to_review"
    case taskSeveralToReview = "task.several_to_review"
    case taskChanged = "task.changed"
    case taskPhotoNeeded = "task.photo_needed"
    case voucherOfferNotFound = "voucher.offer_not_found"
    case voucherOutOfStock = "voucher.out_of_stock"
    case voucherNotFound = "voucher.not_found"
    case voucherInsufficientPoints = "voucher.insufficient_points"
    case voucherValidUntil = "voucher.valid_until"
    case voucherUsedAt = "voucher.used_at"
    case voucherExpiredAt = "voucher.expired_at"
}

/// The lines of `templates/chat/lines.txt`, each compiled as a Mustache template.
struct ChatLines: Sendable {
    private let templates: [ChatLine: MustacheTemplate]

    /// Reads the file: `key = text` lines, `#` comments and blank lines; every `ChatLine` once,
    /// and nothing else, so a typo in a key is found at start rather than in a chat.
    init(contentsOf path: String) throws(ConfigurationError) {
        func fail(_ message: String) -> ConfigurationError { ConfigurationError(key: "--templates", message: "\(path): \(message)") }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw fail("cannot be read: \(error.localizedDescription)")
        }
        var templates: [ChatLine: MustacheTemplate] = [:]
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let equals = line.range(of: " = ") else { throw fail("line \(index + 1) is not `key = text`") }
            let key = String(line[..<equals.lowerBound])
            guard let name = ChatLine(rawValue: key) else { throw fail("line \(index + 1): unknown key '\(key)'") }
            guard templates[name] == nil else { throw fail("line \(index + 1): '\(key)' is given twice") }
            do {
                templates[name] = try MustacheTemplate(string: String(line[equals.upperBound...]))
            } catch {
                throw fail("line \(index + 1): '\(key)' is not a valid template: \(error)")
            }
        }
        if let missing = ChatLine.allCases.first(where: { templates[$0] == nil }) { throw fail("has no line '\(missing.rawValue)'") }
        self.templates = templates
    }

    /// The line with its values filled in; empty values count as unset.
    func render(_ line: ChatLine, _ values: [String: Any]) -> String {
        let present = values.filter { !(($0.value as? String)?.isEmpty ?? false) }
        return templates[line]?.render(present).trimmingCharacters(in: .whitespaces) ?? line.rawValue
    }
}
