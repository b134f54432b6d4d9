import Foundation

/// Temporary folders for tests, all under one folder of this test process that is removed when
/// the process exits, so a test run leaves nothing behind in the temporary folder.
public enum TestFolders {
    /// `gridbot-tests-<pid>` in the temporary folder, created on first use.
    public static let root: URL = {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("gridbot-tests-\(getpid())")
        try? FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(at: TestFolders.root) }
        return root
    }()

    /// A new path under the root, named `<name>-<uuid>` (not created).
    public static func fresh(_ name: String) -> URL {
        root.appendingPathComponent("\(name)-\(UUID().uuidString)")
    }
}
