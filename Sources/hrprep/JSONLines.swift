import Foundation

/// The benchmark commands' `--json` output: one JSON object per line (sorted keys), appended to
/// `path` (created when missing), so `make bench` collects every figure in one file.
enum JSONLines {
    static func append<T: Encodable>(_ values: [T], to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let text =
            try values.map { String(decoding: try encoder.encode($0), as: UTF8.self) }.joined(separator: "\n") + "\n"
        if let handle = FileHandle(forWritingAtPath: path) {
            handle.seekToEndOfFile(); handle.write(Data(text.utf8)); handle.closeFile()
        } else {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        }
    }
}
