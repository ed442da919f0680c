import Foundation
import Hummingbird
import HummingbirdTesting
import Imaging
import MelanomaKit
import NIOCore
import Serve
import Testing

/// A request that must be refused: its content type and body, the status range and the field named.
struct BadUpload {
    var name: String
    var contentType: String?
    var body: ByteBuffer
    var status: ClosedRange<Int>
    var field: String
}

func malformedCorpus(jpeg: Data) throws -> [BadUpload] {
    let mp = "multipart/form-data; boundary=\(Form.boundary)"
    let valid = Form.predict("x", jpeg).body
    var c: [BadUpload] = []
    func add(_ name: String, _ type: String? = mp, _ body: ByteBuffer, _ status: ClosedRange<Int>, _ field: String) {
        c.append(BadUpload(name: name, contentType: type, body: body, status: status, field: field))
    }
    func form(_ edit: (inout Form) -> Void) -> ByteBuffer {
        var f = Form()
        edit(&f)
        return f.body
    }
    add("no content type", nil, valid, 415 ... 415, "content-type")
    add("json content type", "application/json", ByteBuffer(string: "{\"image\": 1}"), 415 ... 415, "content-type")
    add("multipart without boundary", "multipart/form-data", valid, 400 ... 400, "content-type")
    add("empty body", mp, ByteBuffer(), 400 ... 400, "body")
    add("truncated body", mp, valid.getSlice(at: 0, length: valid.readableBytes / 2)!, 400 ... 400, "body")
    add("garbage body", mp, ByteBuffer(bytes: (0 ..< 3000).map { UInt8(($0 * 37) % 256) } + Array("--\(Form.boundary)--".utf8)),
        400 ... 400, "body")
    add("wrong boundary", "multipart/form-data; boundary=other", valid, 400 ... 400, "body")
    add("no image part", mp, form { $0.field("age", "40") }, 400 ... 400, "image")
    add("image not a file", mp, form { $0.field("image", "hello") }, 400 ... 400, "image")
    add("two images", mp, form { $0.file("image", filename: "a.jpg", type: "image/jpeg", jpeg)
        $0.file("image", filename: "b.jpg", type: "image/jpeg", jpeg) }, 400 ... 400, "image")
    add("empty image", mp, Form.predict("x", Data()).body, 400 ... 400, "image")
    add("text as image", mp, Form.predict("x", Data("not an image at all".utf8)).body, 400 ... 400, "image")
    add("gif bytes", mp, Form.predict("x", Data("GIF89a\u{1}\u{0}\u{1}\u{0}".utf8)).body, 400 ... 400, "image")
    add("truncated jpeg", mp, Form.predict("x", jpeg.prefix(jpeg.count / 2)).body, 400 ... 400, "image")
    add("jpeg header only", mp, Form.predict("x", jpeg.prefix(20)).body, 400 ... 400, "image")
    add("gif content type", mp, Form.predict("x", jpeg, type: "image/gif").body, 415 ... 415, "image")
    add("pdf content type", mp, Form.predict("x", jpeg, type: "application/pdf").body, 415 ... 415, "image")
    add("oversized upload", mp, Form.predict("x", Data(repeating: 0xFF, count: 400 * 1024)).body, 413 ... 413, "image")
    let big = try Image.filled(width: 1200, height: 1000, rgb: (120, 80, 60)).pngData()
    add("too many pixels", mp, Form.predict("x", big, type: "image/png").body, 413 ... 413, "image")
    add("age not a number", mp, Form.predict("x", jpeg, fields: [("age", "forty")]).body, 400 ... 400, "age")
    add("negative age", mp, Form.predict("x", jpeg, fields: [("age", "-5")]).body, 400 ... 400, "age")
    add("age twice", mp, Form.predict("x", jpeg, fields: [("age", "5"), ("age", "6")]).body, 400 ... 400, "age")
    add("bad sex", mp, Form.predict("x", jpeg, fields: [("sex", "alien")]).body, 400 ... 400, "sex")
    add("unknown site", mp, Form.predict("x", jpeg, fields: [("site", "elbow")]).body, 400 ... 400, "site")
    add("zero n_images", mp, Form.predict("x", jpeg, fields: [("n_images", "0")]).body, 400 ... 400, "n_images")
    add("n_images not whole", mp, Form.predict("x", jpeg, fields: [("n_images", "2.5")]).body, 400 ... 400, "n_images")
    var badUTF8 = Form.predict("x", jpeg)
    badUTF8.raw += Data("--\(Form.boundary)\r\nContent-Disposition: form-data; name=\"sex\"\r\n\r\n".utf8) + Data([0xC3, 0x28, 0xFF])
        + Data("\r\n".utf8)
    add("field not UTF-8", mp, badUTF8.body, 400 ... 400, "sex")
    return c
}

@Suite(.serialized) struct MalformedUploadTests {
    /// Every malformed upload gets a 4xx JSON error naming its field, and the server answers a valid request
    /// after all of them.
    @Test func corpusIsRefusedAndServerKeepsServing() async throws {
        let f = try ServeFixture.get()
        let service = f.service()
        defer { service.worker.stop() }
        let t = try f.testImage(0)
        let corpus = try malformedCorpus(jpeg: t.data)
        try await Application(router: service.router()).test(.router) { client in
            for bad in corpus {
                var h: HTTPFields = [:]
                if let type = bad.contentType { h[.contentType] = type }
                try await client.execute(uri: "/v1/predict", method: .post, headers: h, body: bad.body) { r in
                    #expect(bad.status.contains(Int(r.status.code)), "\(bad.name): status \(r.status.code) \(String(buffer: r.body))")
                    let error = try? json(r)["error"] as? [String: String]
                    #expect(error?["field"] == bad.field, "\(bad.name): \(String(buffer: r.body))")
                    #expect((error?["message"]?.count ?? 0) > 0, "\(bad.name)")
                }
            }
            try await client.execute(uri: "/v1/predict", method: .post, headers: Form.headers,
                                     body: Form.predict(t.name, t.data, fields: t.fields).body) { r in
                #expect(r.status == .ok)
            }
        }
        #expect(service.metrics.text().contains("melanoma_errors_total{status=\"400\",field=\"image\"}"))
    }

    /// The same against a real server on 127.0.0.1 (HummingbirdTesting's live client).
    @Test func liveServerOnLoopback() async throws {
        let f = try ServeFixture.get()
        let service = f.service { $0.host = "127.0.0.1"; $0.port = 0 }
        defer { service.worker.stop() }
        let t = try f.testImage(3)
        let corpus = try malformedCorpus(jpeg: t.data)
        try await service.application().test(.live) { client in
            for bad in corpus.prefix(12) {
                var h: HTTPFields = [:]
                if let type = bad.contentType { h[.contentType] = type }
                try await client.execute(uri: "/v1/predict", method: .post, headers: h, body: bad.body) { r in
                    #expect((400 ..< 500).contains(Int(r.status.code)), "\(bad.name): \(r.status.code)")
                }
            }
            try await client.execute(uri: "/v1/predict", method: .post, headers: Form.headers,
                                     body: Form.predict(t.name, t.data, fields: t.fields).body) { r in
                #expect(r.status == .ok)
                let p = try #require(try json(r)["probability"] as? Double)
                #expect(abs(p - f.predicted[t.name]!) <= 1e-5)
            }
            try await client.execute(uri: "/healthz", method: .get) { r in #expect(r.status == .ok) }
        }
    }
}
