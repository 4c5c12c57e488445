import CZip
import Foundation

/// Writes a zip archive of stored (uncompressed) members at the archive root with libzip, as
/// MPII's `images.zip@/NAME` paths expect. Member times are pinned to 2000-01-01 00:00 so the same
/// members always give the same archive bytes. libzip writes to a temporary file and renames it
/// on close, so a failed write never leaves a partial archive under the final name.
enum StoredZip {
    static func write(_ members: [(name: String, bytes: Data)], to path: String) throws {
        var status: Int32 = 0
        guard let archive = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &status) else {
            throw FixtureError("\(path): cannot be created by libzip (error \(status))")
        }
        func fail(_ what: String) -> FixtureError {
            let message = String(cString: zip_strerror(archive))
            zip_discard(archive)
            return FixtureError("\(path): \(what): \(message)")
        }
        for member in members {
            // libzip reads the bytes at zip_close: hand it its own copy, which it frees (freep 1).
            guard let copy = malloc(max(1, member.bytes.count)) else {
                zip_discard(archive); throw FixtureError("\(path): out of memory")
            }
            member.bytes.copyBytes(to: copy.assumingMemoryBound(to: UInt8.self), count: member.bytes.count)
            guard let source = zip_source_buffer(archive, copy, zip_uint64_t(member.bytes.count), 1) else {
                free(copy)
                throw fail("member \(member.name)")
            }
            let index = zip_file_add(archive, member.name, source, zip_flags_t(ZIP_FL_ENC_UTF_8 | ZIP_FL_OVERWRITE))
            guard index >= 0 else { zip_source_free(source); throw fail("member \(member.name)") }
            // DOS date 2000-01-01 (years since 1980 << 9 | month << 5 | day), time 00:00.
            guard zip_set_file_compression(archive, zip_uint64_t(index), ZIP_CM_STORE, 0) == 0,
                zip_file_set_dostime(archive, zip_uint64_t(index), 0, zip_uint16_t((20 << 9) | (1 << 5) | 1), 0) == 0
            else {
                throw fail("member \(member.name)")
            }
        }
        guard zip_close(archive) == 0 else { throw fail("closing") }
    }
}
