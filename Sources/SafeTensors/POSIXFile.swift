import Foundation

/// Thin checked wrappers over POSIX file calls: every failure becomes a `SafeTensorsError` naming
/// the file and the system's reason, and short reads/writes are completed (or reported).
enum POSIXFile {
    static func reason() -> String { String(cString: strerror(errno)) }

    static func openFile(_ path: String, _ flags: Int32, mode: mode_t = 0o644) throws -> Int32 {
        let fd = open(path, flags, mode)
        guard fd >= 0 else { throw SafeTensorsError(file: path, problem: "cannot be opened (\(reason()))") }
        return fd
    }

    /// Writes all `count` bytes at `offset`. (`file` names the file in an error only, so it is
    /// not built for every call.)
    static func pwriteAll(_ fd: Int32, _ p: UnsafeRawPointer, _ count: Int, at offset: Int, file: @autoclosure () -> String) throws {
        try complete(count, file: file, "write failed", "no progress") { pwrite(fd, p + $0, count - $0, off_t(offset + $0)) }
    }

    /// Sets the file's size to `bytes` (growing it with a hole that reads as zeros).
    static func resize(_ fd: Int32, to bytes: Int, file: String) throws {
        while ftruncate(fd, off_t(bytes)) != 0 {
            guard errno == EINTR else { throw SafeTensorsError(file: file, problem: "cannot be sized to \(bytes) bytes (\(reason()))") }
        }
    }

    /// Reads exactly `count` bytes at `offset`.
    static func preadAll(_ fd: Int32, _ p: UnsafeMutableRawPointer, _ count: Int, at offset: Int, file: @autoclosure () -> String) throws {
        try complete(count, file: file, "read failed", "unexpected end of file") { pread(fd, p + $0, count - $0, off_t(offset + $0)) }
    }

    /// Repeats `step(done)` (a read or write returning bytes moved, or −1) until `count` bytes
    /// have moved, retrying interrupted calls.
    private static func complete(_ count: Int, file: () -> String, _ failure: String, _ stalled: String, _ step: (Int) -> Int) throws {
        var done = 0
        while done < count {
            let n = step(done)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw SafeTensorsError(file: file(), problem: "\(failure) (\(n < 0 ? reason() : stalled))") }
            done += n
        }
    }

    /// Flushes a file to stable storage, then renames it onto `destination` and flushes the folder
    /// entry, so after a crash either the old or the complete new file is there.
    static func commit(_ fd: Int32, temp: String, to destination: String) throws {
        guard fsync(fd) == 0 else { throw SafeTensorsError(file: temp, problem: "fsync failed (\(reason()))") }
        guard rename(temp, destination) == 0 else {
            throw SafeTensorsError(file: destination, problem: "cannot be renamed into place (\(reason()))")
        }
        syncFolder(of: destination)
    }

    /// fsync of the folder holding `path` (best effort: some file systems refuse it).
    static func syncFolder(of path: String) {
        let folder = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        let fd = open(folder.isEmpty ? "/" : folder, O_RDONLY)
        if fd >= 0 { _ = fsync(fd); close(fd) }
    }
}
