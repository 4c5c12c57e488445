import Foundation

/// JSON5 reading (NaN/Infinity literals, comments, trailing commas), used only to DIAGNOSE a file
/// that strict JSON refuses. Python's `json.dump` writes `NaN` and `Infinity` for non-finite floats;
/// JSONSerialization rejects those with an error that names neither record nor field. Read leniently,
/// the same tree goes through the record checks, which then say which record and field hold the
/// non-finite value. The lenient tree is never used to build records: the file is refused either way.
enum LenientJSON {
    /// The JSON5 value of `data` as JSONSerialization would give it (NSNumber, String, [Any],
    /// [String: Any], NSNull), or nil when even JSON5 cannot read it. Only valid UTF-8 is read:
    /// Foundation's JSON5 scanner traps (a fatal error, not a thrown one) on an invalid UTF-8 byte
    /// where an unquoted key may start, e.g. `{` 0xFA (found by `make fuzz`, kept in FuzzRegressions).
    static func object(_ data: Data) -> Any? {
        guard String(data: data, encoding: .utf8) != nil else { return nil }
        let decoder = JSONDecoder()
        decoder.allowsJSON5 = true
        return (try? decoder.decode(Node.self, from: data))?.foundationObject
    }

    private indirect enum Node: Decodable {
        case null, bool(Bool), number(Double), string(String), list([Node]), object([String: Node])

        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if c.decodeNil() { self = .null }
            else if let b = try? c.decode(Bool.self) { self = .bool(b) }
            else if let n = try? c.decode(Double.self) { self = .number(n) }
            else if let s = try? c.decode(String.self) { self = .string(s) }
            else if let l = try? c.decode([Node].self) { self = .list(l) }
            else { self = .object(try c.decode([String: Node].self)) }
        }

        var foundationObject: Any {
            switch self {
            case .null: return NSNull()
            case .bool(let b): return NSNumber(value: b)
            case .number(let n): return NSNumber(value: n)
            case .string(let s): return s
            case .list(let l): return l.map(\.foundationObject)
            case .object(let o): return o.mapValues(\.foundationObject)
            }
        }
    }
}
