import Foundation

/// get_meta_data: sex, age/90, log1p(images per patient), ln(JPEG bytes), then one-hot sites over the
/// union of train and test values (sorted as Python sorts str) with `site_nan` last.
enum MetaFeatures {
    struct Result {
        var names: [String]
        var train: [[Float]]
        var test: [[Float]]
    }

    static let fixedNames = ["sex", "age_approx", "n_images", "image_size"]

    static func build(train: [RawRow], trainSizes: [Double], test: [RawRow], testSizes: [Double]) -> Result {
        var siteSet = Set<String>()
        for r in train { if let s = r.site { siteSet.insert(s) } }
        for r in test { if let s = r.site { siteSet.insert(s) } }
        let sites = siteSet.sorted(by: pythonLess)
        let siteIndex = Dictionary(uniqueKeysWithValues: sites.enumerated().map { ($1, $0) })
        let names = fixedNames + sites.map { "site_" + $0 } + ["site_nan"]

        func rows(_ rs: [RawRow], sizes: [Double]) -> [[Float]] {
            // Train counts over 2020 + external together, test within test, as the original groups per frame.
            var counts: [String: Int] = [:]
            for r in rs { counts[patientKey(r.patientID), default: 0] += 1 }
            return rs.enumerated().map { i, r in
                let n = DatasetLoader.isNoPatient(r.patientID) ? 1 : counts[patientKey(r.patientID)] ?? 1
                return vector(names: names, sex: r.sex, age: r.age, patientImages: n, bytes: sizes[i], site: r.site)
            }
        }
        return Result(names: names, train: rows(train, sizes: trainSizes), test: rows(test, sizes: testSizes))
    }

    /// One image's features in the order of `names` (as `build` named them for the training data): the one
    /// place they are computed, for training rows and for a new image alike. Sex is 1 male, 0 female, -1
    /// unknown; a missing age counts 0; a site not named is no site (`site_nan`).
    static func vector(names: [String], sex: Float, age: Double?, patientImages: Int, bytes: Double,
                       site: String?) -> [Float] {
        let siteName = site.map { "site_" + $0 }
        let known = siteName.map { names.contains($0) } ?? false
        return names.map { name -> Float in
            switch name {
            case "sex": return sex
            case "age_approx": return Float((age ?? 0) / 90)
            case "n_images": return Float(Foundation.log1p(Double(patientImages)))
            case "image_size": return Float(Foundation.log(bytes))
            case "site_nan": return known ? 0 : 1
            default: return name == siteName ? 1 : 0
            }
        }
    }

    /// pandas groups numeric ids by value (-1 and -1.0 alike) and the missing ones as one patient (fillna(0)).
    static func patientKey(_ id: String?) -> String {
        guard let id else { return "missing" }
        if let v = Double(id) { return "n:\(v)" }
        return "s:" + id
    }
}
