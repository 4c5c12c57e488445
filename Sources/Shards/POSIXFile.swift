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

    /// Writes all `count` bytes at the current position.
    static func writeAll(_ fd: Int32, _ p: UnsafeRawPointer, _ count: Int, file: String) throws {
        var done = 0
        while done < count {
            let n = write(fd, p + done, count - done)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw SafeTensorsError(file: file, problem: "write failed (\(n < 0 ? reason() : "no progress"))") }
            done += n
        }
    }

    /// Writes all `count` bytes at `offset`.
    static func pwriteAll(_ fd: Int32, _ p: UnsafeRawPointer, _ count: Int, at offset: Int, file: String) throws {
        var done = 0
        while done < count {
            let n = pwrite(fd, p + done, count - done, off_t(offset + done))
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw SafeTensorsError(file: file, problem: "write failed (\(n < 0 ? reason() : "no progress"))") }
            done += n
        }
    }

    /// Reads exactly `count` bytes at `offset`.
    static func preadAll(_ fd: Int32, _ p: UnsafeMutableRawPointer, _ count: Int, at offset: Int, file: String) throws {
        var done = 0
        while done < count {
            let n = pread(fd, p + done, count - done, off_t(offset + done))
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw SafeTensorsError(file: file, problem: "read failed (\(n < 0 ? reason() : "unexpected end of file"))") }
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
