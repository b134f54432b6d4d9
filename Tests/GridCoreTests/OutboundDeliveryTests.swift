import GridCore
import Testing

@Suite struct OutboundDeliveryTests {
    @Test func failuresBackOffExponentiallyThenGiveUp() {
        var state = OutboundDelivery.pending(attempts: 0, notBefore: 0)
        var waits: [Double] = []
        for attempt in 1..<OutboundDelivery.maxAttempts {
            state = state.failed(at: 1000, reason: "503", permanent: false)
            guard case .pending(let attempts, let notBefore) = state else {
                Issue.record("gave up too early at \(attempt)")
                return
            }
            #expect(attempts == attempt)
            waits.append(notBefore - 1000)
        }
        #expect(waits == [2, 4, 8, 16, 32, 64, 128])
        #expect(state.failed(at: 1000, reason: "503", permanent: false) == .dead(reason: "503"))
    }

    @Test func aPermanentRefusalIsDeadAtOnceAndFinalStatesStay() {
        let pending = OutboundDelivery.pending(attempts: 0, notBefore: 0)
        #expect(pending.failed(at: 5, reason: "chat not found", permanent: true) == .dead(reason: "chat not found"))
        #expect(pending.succeeded(at: 7) == .sent(at: 7))
        #expect(OutboundDelivery.sent(at: 7).failed(at: 9, reason: "x", permanent: false) == .sent(at: 7))
        #expect(OutboundDelivery.dead(reason: "x").succeeded(at: 9) == .dead(reason: "x"))
        #expect(pending.throttled(at: 100, seconds: 30) == .pending(attempts: 0, notBefore: 130), "a 429 is not an attempt")
    }

    @Test func theRateLimitHoldsTwentyAMinutePerChat() {
        let limit = RateLimit(limit: 20, window: 60)
        let nineteen = (0..<19).map { Double($0) }
        #expect(limit.nextAllowed(after: nineteen, now: 30) == 30)
        let twenty = (0..<20).map { Double($0) }
        #expect(limit.nextAllowed(after: twenty, now: 30) == 60, "the oldest of the last 20 leaves the window at 60")
        #expect(limit.nextAllowed(after: twenty, now: 100) == 100)
    }
}
