import Foundation

/// A fresh folder under the system's temporary directory for one test, removed by `remove()`
/// (call it from `tearDown`), so tests never share or leave behind files.
public struct TemporaryFolder {
    public let path: String

    public init(_ tag: String) throws {
        path = NSTemporaryDirectory() + "\(tag)-\(getpid())-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    public func remove() { try? FileManager.default.removeItem(atPath: path) }
}
