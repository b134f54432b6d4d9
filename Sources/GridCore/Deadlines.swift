/// How soon a report must be acknowledged, by urgency (the closed loop makes these configurable
/// and adds the resolve deadlines on the business calendar).
public enum Deadlines {
    /// Seconds within which a grid worker must acknowledge a report.
    public static func acknowledge(_ urgency: Urgency) -> Double {
        switch urgency {
        case .emergency: 5 * 60
        case .urgent: 30 * 60
        case .normal: 2 * 60 * 60
        }
    }
}
