import CZip
import Foundation

/// Where a record's image lives, spelt as the reference spells it (docs/reference-behaviour.md#mpii-records):
/// `<root>/images/<name>` for `DATA_FORMAT: jpg`, `<root>/images.zip@/<name>` for `zip`; with an
/// image set folder (COCO), `<root>/images/<set>/<name>` and `<root>/images/<set>.zip@/<name>`.
public enum ImageFormat: String, Sendable, CaseIterable {
    case jpg, zip

    /// The image path of file `name` under dataset `root`, in the image set `folder` if given.
    public func path(root: String, folder: String? = nil, image name: String) -> String {
        switch (self, folder) {
        case (.jpg, nil): return root + "/images/" + name
        case (.zip, nil): return root + "/images.zip@/" + name
        case (.jpg, let set?): return root + "/images/" + set + "/" + name
        case (.zip, let set?): return root + "/images/" + set + ".zip@/" + name
        }
    }
}

/// A zip path `archive.zip@/member`: the archive is everything up to the first `.zip@/` (its `.zip`
/// included), the member everything after the `@/` (the reference's `zipreader` splits at the first
/// `@` and drops the next character, the `/`; anchoring on `.zip@/` also lets an `@` appear in a
/// folder name). Nil for a plain file path, including `a.zip@member` and `a.zip/member`: those are
/// not member paths, and reading them fails as a file with a hint (`zipPathHint`).
public func splitZipPath(_ path: String) -> (archive: String, member: String)? {
    guard let marker = path.range(of: ".zip@/") else { return nil }
    return (String(path[..<marker.lowerBound]) + ".zip", String(path[marker.upperBound...]))
}

/// Added to the error of a plain path that cannot be opened but looks meant as a zip member.
func zipPathHint(_ path: String) -> String {
    path.contains(".zip/") || path.contains(".zip@") ? " (a member of a zip archive is written archive.zip@/member)" : ""
}

/// Reads the encoded bytes of images into one reused buffer, from plain files or from zip archives
/// (`archive.zip@/member`). Zip archives stay open, one libzip handle per archive per reader; a libzip
/// handle must never be shared between threads (concurrent reads through one handle corrupt each
/// other), so make ONE ImageReader PER THREAD. Not thread-safe by design.
public final class ImageReader {
    private var buffer: UnsafeMutableRawBufferPointer = .init(start: nil, count: 0)
    private var archives: [String: OpaquePointer] = [:]

    public init() {}

    deinit {
        for (_, z) in archives { zip_discard(z) }
        buffer.deallocate()
    }

    /// The bytes of the image at `path` (a file path or `archive.zip@/member`), valid until the next
    /// call and only while this reader lives (it is the reader's buffer). Refuses a missing file or member, a read error, and a JPEG/PNG without its end marker
    /// (a truncated file that OpenCV would decode with a grey bottom and only a warning).
    public func read(_ path: String) throws -> UnsafeRawBufferPointer {
        let bytes: UnsafeRawBufferPointer
        if let (archive, member) = splitZipPath(path) {
            bytes = try readZipMember(archive: archive, member: member, path: path)
        } else {
            bytes = try readFile(path)
        }
        if let problem = EncodedImageCheck.problem(bytes) {
            throw PoseDataError(file: path, problem: problem)
        }
        return bytes
    }

    private func reserve(_ count: Int) -> UnsafeMutableRawBufferPointer {
        if buffer.count < count {
            buffer.deallocate()
            buffer = .allocate(byteCount: max(count, buffer.count * 2), alignment: 16)
        }
        return buffer
    }

    private func readFile(_ path: String) throws -> UnsafeRawBufferPointer {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw PoseDataError(file: path, problem: "cannot be opened (\(String(cString: strerror(errno))))" + zipPathHint(path))
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            throw PoseDataError(file: path, problem: "is not a regular file")
        }
        let size = Int(st.st_size)
        let dst = reserve(max(size, 1))
        var done = 0
        while done < size {
            let n = Foundation.read(fd, dst.baseAddress! + done, size - done)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw PoseDataError(file: path, problem: "read failed after \(done) of \(size) bytes") }
            done += n
        }
        return UnsafeRawBufferPointer(rebasing: dst[0..<size])
    }

    private func archive(_ archivePath: String) throws -> OpaquePointer {
        if let z = archives[archivePath] { return z }
        var code: Int32 = 0
        guard let z = zip_open(archivePath, ZIP_RDONLY, &code) else {
            var e = zip_error_t()
            zip_error_init_with_code(&e, code)
            defer { zip_error_fini(&e) }
            throw PoseDataError(file: archivePath, problem: "cannot be opened as a zip archive (\(String(cString: zip_error_strerror(&e))))")
        }
        archives[archivePath] = z
        return z
    }

    private func readZipMember(archive archivePath: String, member: String, path: String) throws -> UnsafeRawBufferPointer {
        let z = try archive(archivePath)
        let index = zip_name_locate(z, member, 0)
        guard index >= 0 else { throw PoseDataError(file: path, problem: "no member '\(member)' in archive \(archivePath)") }
        var st = zip_stat_t()
        zip_stat_init(&st)
        guard zip_stat_index(z, zip_uint64_t(index), 0, &st) == 0, (st.valid & zip_uint64_t(ZIP_STAT_SIZE)) != 0 else {
            throw PoseDataError(file: path, problem: "cannot stat member (\(String(cString: zip_strerror(z))))")
        }
        let size = Int(st.size)
        guard let f = zip_fopen_index(z, zip_uint64_t(index), 0) else {
            throw PoseDataError(file: path, problem: "cannot open member (\(String(cString: zip_strerror(z))))")
        }
        defer { zip_fclose(f) }
        let dst = reserve(max(size, 1))
        var done = 0
        while done < size {
            let n = zip_fread(f, dst.baseAddress! + done, zip_uint64_t(size - done))
            guard n > 0 else {
                throw PoseDataError(file: path, problem: "member read failed after \(done) of \(size) bytes (\(String(cString: zip_file_strerror(f))))")
            }
            done += Int(n)
        }
        // libzip checks the member's CRC-32 only when a read reaches the end of the data, which the
        // loop above never asks for: without this read a corrupt stored member passes silently.
        var extra: UInt8 = 0
        let tail = zip_fread(f, &extra, 1)
        guard tail == 0 else {
            throw PoseDataError(file: path, problem: tail < 0 ? "member is corrupt (\(String(cString: zip_file_strerror(f))))"
                                                              : "member holds more bytes than its recorded size \(size)")
        }
        return UnsafeRawBufferPointer(rebasing: dst[0..<size])
    }
}

/// Completeness checks on encoded bytes that OpenCV does not make: it decodes a truncated JPEG,
/// filling the missing rows with grey, and only prints a warning.
public enum EncodedImageCheck {
    /// Nil if the bytes look complete, else what is wrong. JPEG (FF D8 …) must end with the EOI
    /// marker FF D9, after any trailing padding (0x00, 0xFF, ASCII whitespace); PNG must end with
    /// its IEND chunk. Other formats are left to the decoder.
    public static func problem(_ b: UnsafeRawBufferPointer) -> String? {
        guard b.count >= 4 else { return "is empty or too short to be an image (\(b.count) bytes)" }
        if b[0] == 0xFF && b[1] == 0xD8 {
            var end = b.count
            while end > 2, [0x00, 0xFF, 0x20, 0x0A, 0x0D, 0x09].contains(b[end - 1]) { end -= 1 }
            if b[end - 2] == 0xFF && b[end - 1] == 0xD9 { return nil }
            return "JPEG is truncated: no end-of-image marker (FF D9) at the end"
        }
        if b[0] == 0x89 && b[1] == 0x50 && b[2] == 0x4E && b[3] == 0x47 {
            var end = b.count
            while end > 8, b[end - 1] == 0 { end -= 1 }
            let iend: [UInt8] = [0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82]
            if end >= 16 && Array(b[(end - 8)..<end]) == iend { return nil }
            return "PNG is truncated: no IEND chunk at the end"
        }
        return nil
    }
}
