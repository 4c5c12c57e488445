import Foundation

/// Read-only bytes whose address never changes while the object lives: a whole file mapped with
/// `mmap` (shards of a gigabyte are paged in on demand, never copied), or a private copy of
/// in-memory bytes. Readers hand out pointers into it, so the owner must outlive them.
public final class MappedBytes: @unchecked Sendable {
    public let base: UnsafeRawPointer
    public let count: Int
    private let unmap: () -> Void

    /// Maps the file at `path` read-only; `SafeTensorsError` names the file when it cannot.
    public init(path: String) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw SafeTensorsError(file: path, problem: "cannot be opened (\(String(cString: strerror(errno))))")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw SafeTensorsError(file: path, problem: "cannot be inspected (\(String(cString: strerror(errno))))")
        }
        let size = Int(info.st_size)
        guard size > 0 else {
            // mmap refuses empty ranges; an empty file is still a file (and a too-short one).
            let empty = UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 16)
            base = UnsafeRawPointer(empty); count = 0; unmap = { empty.deallocate() }
            return
        }
        guard let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else {
            throw SafeTensorsError(file: path, problem: "cannot be mapped (\(String(cString: strerror(errno))))")
        }
        base = UnsafeRawPointer(p); count = size
        unmap = { munmap(p, size) }
    }

    /// A private, 16-byte aligned copy of `data` (tests and small in-memory files).
    public init(copying data: Data) {
        let p = UnsafeMutableRawPointer.allocate(byteCount: max(data.count, 1), alignment: 16)
        data.withUnsafeBytes { if $0.count > 0 { p.copyMemory(from: $0.baseAddress!, byteCount: $0.count) } }
        base = UnsafeRawPointer(p); count = data.count
        unmap = { p.deallocate() }
    }

    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    deinit { unmap() }
}
