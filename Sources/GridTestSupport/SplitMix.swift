import GridCore

/// The deterministic generator of property and fuzz tests: GridCore's, under the name tests use.
public typealias SplitMix = DeterministicRandom
