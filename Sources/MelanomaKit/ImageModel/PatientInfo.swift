import Foundation
import Imaging

/// What a user may tell about an image besides its pixels. Missing values are filled as training filled
/// them (sex -1, age 0, site_nan) and `n_images` with 1; each fill is reported.
public struct PatientInfo: Sendable, Equatable {
    public var age: Double?
    /// "male" or "female".
    public var sex: String?
    /// A value of anatom_site_general_challenge (`torso`, `lower extremity`, ...).
    public var site: String?
    /// Images of this patient (the n_images feature).
    public var nImages: Int?

    public init(age: Double? = nil, sex: String? = nil, site: String? = nil, nImages: Int? = nil) {
        self.age = age
        self.sex = sex
        self.site = site
        self.nImages = nImages
    }

    /// The field at fault in a request or a `--meta` row: its name as a form field.
    public struct FieldError: Error, CustomStringConvertible, Sendable {
        public let field: String
        public let message: String
        public var description: String { "\(field): \(message)" }
    }

    /// Checks values alone (the site is checked against a model's sites by `features`).
    public func validate() throws {
        if let age, !(age.isFinite && (0 ... 130).contains(age)) {
            throw FieldError(field: "age", message: "must be a number of years in 0...130, got \(age)")
        }
        if let sex, !["male", "female"].contains(sex) {
            throw FieldError(field: "sex", message: "must be male or female (or empty), got '\(sex)'")
        }
        if let nImages, nImages < 1 { throw FieldError(field: "n_images", message: "must be at least 1, got \(nImages)") }
    }

    /// The model's metadata vector for an image whose stored dataset JPEG would have `storedBytes` bytes, in
    /// the order of `names` (MetaFeatures' names); the notes say what was missing and how it was filled.
    public func features(names: [String], storedBytes: Int) throws -> (values: [Float], notes: [String]) {
        try validate()
        let known = Set(MetaFeatures.fixedNames + ["site_nan"])
        if let odd = names.first(where: { !known.contains($0) && !$0.hasPrefix("site_") }) {
            throw RunError(.modelDir, "the model reads a metadata feature '\(odd)' this program does not know")
        }
        let sites = names.filter { $0.hasPrefix("site_") && $0 != "site_nan" }.map { String($0.dropFirst(5)) }
        if let site, !sites.contains(site) {
            throw FieldError(field: "site", message: "'\(site)' is not a site of this model's training data; "
                + "one of: \(sites.joined(separator: ", ")) (or empty)")
        }
        var notes: [String] = []
        if names.contains("sex") && sex == nil { notes.append("sex missing: -1, as training fills it") }
        if names.contains("age_approx") && age == nil { notes.append("age missing: 0, as training fills it") }
        if names.contains("n_images") && nImages == nil { notes.append("n_images missing: 1 image of this patient assumed") }
        if names.contains("site_nan") && site == nil { notes.append("site missing: site_nan, as training fills it") }
        let values = MetaFeatures.vector(names: names, sex: sex.map { $0 == "male" ? 1 : 0 } ?? -1, age: age,
                                         patientImages: nImages ?? 1, bytes: Double(storedBytes), site: site)
        return (values, notes)
    }
}

/// The `image_size` feature is the byte size of the image as the dataset stores it: a JPEG of F x F pixels
/// (F the data folder) at the dataset's quality. An upload is resized to F x F and encoded so; a JPEG already
/// F x F is measured as it is.
public enum StoredImageSize {
    public static func bytes(of data: Data, dataFolder f: Int, jpegQuality: Int, name: String = "image") throws -> Int {
        let plan = try Image.plan(data: data, name: name)
        if plan.format == .jpeg, plan.storedWidth == f, plan.storedHeight == f { return data.count }
        let image = try Image(data: data, name: name)
        return try image.resized(width: f, height: f).jpegData(quality: jpegQuality).count
    }
}

extension PatientInfo {
    /// A `--meta` CSV in test.csv's columns (image_name, and any of patient_id, sex, age_approx,
    /// anatom_site_general_challenge): per image_name its info, with n_images counted per patient over the
    /// file as the original counts the test set.
    public static func table(csv path: String) throws -> [String: PatientInfo] {
        let t = try CSVTable.read(path: path)
        let ni = try t.requireColumn("image_name")
        let pi = t.columnIndex("patient_id"), si = t.columnIndex("sex"), ai = t.columnIndex("age_approx")
        let gi = t.columnIndex("anatom_site_general_challenge")
        func value(_ r: Int, _ c: Int?) -> String? {
            guard let c else { return nil }
            let v = t.rows[r][c]
            return CSVTable.isMissing(v) ? nil : v
        }
        var counts: [String: Int] = [:]
        for r in t.rows.indices { counts[MetaFeatures.patientKey(value(r, pi)), default: 0] += 1 }
        var out: [String: PatientInfo] = [:]
        for r in t.rows.indices {
            let name = t.rows[r][ni]
            var info = PatientInfo(sex: value(r, si), site: value(r, gi))
            if let a = value(r, ai) {
                guard let v = Double(a) else { throw t.problem(row: r, column: ai!, "age_approx '\(a)' is not a number") }
                info.age = v
            }
            let pid = value(r, pi)
            info.nImages = DatasetLoader.isNoPatient(pid) ? 1 : counts[MetaFeatures.patientKey(pid)] ?? 1
            if pi == nil { info.nImages = nil }
            do { try info.validate() } catch let e as FieldError {
                let column = ["age": "age_approx", "sex": "sex", "n_images": "patient_id"][e.field] ?? e.field
                throw DataError(file: path, row: r + 1, line: t.lines[r], column: column, e.message)
            }
            if out[name] != nil { throw t.problem(row: r, column: ni, "image_name '\(name)' appears twice") }
            out[name] = info
        }
        return out
    }
}
