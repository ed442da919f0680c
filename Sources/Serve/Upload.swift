import Foundation
import MelanomaKit
import MultipartKit
import NIOCore

/// A `POST /v1/predict` form: the image part and the patient fields, checked field by field.
public struct PredictForm: Sendable {
    public var imageData: Data
    public var filename: String
    public var info: PatientInfo
    public var gradCAM: Bool

    static let imageTypes: Set<String> = ["image/jpeg", "image/jpg", "image/pjpeg", "image/png", "application/octet-stream"]

    /// The boundary of a `multipart/form-data` content type.
    public static func boundary(contentType: String?) throws -> String {
        guard let contentType, !contentType.isEmpty else {
            throw ServeError(status: 415, field: "content-type", "send multipart/form-data with an image part")
        }
        let parts = contentType.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.first?.lowercased() == "multipart/form-data" else {
            throw ServeError(status: 415, field: "content-type", "expected multipart/form-data, got '\(parts.first ?? "")'")
        }
        for p in parts.dropFirst() {
            let kv = p.split(separator: "=", maxSplits: 1).map(String.init)
            if kv.count == 2, kv[0].lowercased() == "boundary" {
                let b = kv[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
                guard !b.isEmpty, b.count <= 70 else { break }
                return b
            }
        }
        throw ServeError(status: 400, field: "content-type", "multipart/form-data without a valid boundary")
    }

    /// Parses the body; every problem names its field.
    public static func parse(body: ByteBuffer, boundary: String) throws -> PredictForm {
        let closing = Array("--\(boundary)--".utf8)
        guard body.readableBytesView.firstRange(of: closing) != nil else {
            throw ServeError(status: 400, field: "body", "the multipart body is truncated (no closing boundary)")
        }
        var parts: [MultipartPart] = []
        var headers = HTTPHeadersLite()
        var partBody = ByteBuffer()
        let parser = MultipartParser(boundary: boundary)
        parser.onHeader = { name, value in headers.add(name, value) }
        parser.onBody = { buf in partBody.writeBuffer(&buf) }
        parser.onPartComplete = {
            var part = MultipartPart(body: partBody)
            for (n, v) in headers.fields { part.headers.add(name: n, value: v) }
            parts.append(part)
            headers = HTTPHeadersLite()
            partBody = ByteBuffer()
        }
        do { try parser.execute(body) } catch {
            throw ServeError(status: 400, field: "body", "malformed multipart body: \(error)")
        }
        guard parts.count <= 16 else { throw ServeError(status: 400, field: "body", "too many parts (\(parts.count))") }
        func text(_ name: String) throws -> String? {
            let matching = parts.filter { $0.name == name }
            guard matching.count <= 1 else { throw ServeError(status: 400, field: name, "given more than once") }
            guard let p = matching.first else { return nil }
            guard p.body.readableBytes <= 200, let bytes = p.body.getBytes(at: p.body.readerIndex, length: p.body.readableBytes),
                  let s = String(validating: bytes, as: UTF8.self) else {
                throw ServeError(status: 400, field: name, "not a short UTF-8 text field")
            }
            let t = s.trimmingCharacters(in: .whitespacesAndNewlines)
            return t.isEmpty ? nil : t
        }
        let images = parts.filter { $0.name == "image" }
        guard images.count == 1, let image = images.first else {
            throw ServeError(status: 400, field: "image", images.isEmpty ? "no image part (name it 'image')" : "more than one image")
        }
        let disposition = image.headers.first(name: "content-disposition") ?? ""
        guard disposition.contains("filename") else {
            throw ServeError(status: 400, field: "image", "the image part is not a file upload")
        }
        let type = (image.headers.first(name: "content-type") ?? "application/octet-stream").lowercased()
        guard imageTypes.contains(type.split(separator: ";").first.map(String.init) ?? type) else {
            throw ServeError(status: 415, field: "image", "content type '\(type)' is not a JPEG or PNG image")
        }
        guard image.body.readableBytes > 0 else { throw ServeError(status: 400, field: "image", "the file is empty") }
        var info = PatientInfo()
        if let a = try text("age") {
            guard let v = Double(a) else { throw ServeError(status: 400, field: "age", "'\(a)' is not a number") }
            info.age = v
        }
        info.sex = try text("sex")?.lowercased()
        info.site = try text("site")
        if let n = try text("n_images") {
            guard let v = Int(n) else { throw ServeError(status: 400, field: "n_images", "'\(n)' is not a whole number") }
            info.nImages = v
        }
        do { try info.validate() } catch let e as PatientInfo.FieldError {
            throw ServeError(status: 400, field: e.field, e.message)
        }
        let cam = try text("gradcam").map { ["1", "true", "yes", "on"].contains($0.lowercased()) } ?? false
        return PredictForm(imageData: Data(image.body.readableBytesView), filename: filename(disposition) ?? "upload",
                           info: info, gradCAM: cam)
    }

    static func filename(_ disposition: String) -> String? {
        guard let r = disposition.range(of: "filename=\"") else { return nil }
        let rest = disposition[r.upperBound...]
        guard let end = rest.firstIndex(of: "\"") else { return nil }
        let name = String(rest[..<end])
        return name.isEmpty ? nil : String(name.prefix(200))
    }
}

/// Header lines of one part, in order.
struct HTTPHeadersLite {
    var fields: [(String, String)] = []
    mutating func add(_ n: String, _ v: String) { fields.append((n, v)) }
}
