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
                var v = [Float](repeating: 0, count: names.count)
                v[0] = r.sex
                v[1] = Float((r.age ?? 0) / 90)
                let n = DatasetLoader.isNoPatient(r.patientID) ? 1 : counts[patientKey(r.patientID)] ?? 1
                v[2] = Float(Foundation.log1p(Double(n)))
                v[3] = Float(Foundation.log(sizes[i]))
                v[4 + (r.site.flatMap { siteIndex[$0] } ?? sites.count)] = 1
                return v
            }
        }
        return Result(names: names, train: rows(train, sizes: trainSizes), test: rows(test, sizes: testSizes))
    }

    /// pandas groups numeric ids by value (-1 and -1.0 alike) and the missing ones as one patient (fillna(0)).
    static func patientKey(_ id: String?) -> String {
        guard let id else { return "missing" }
        if let v = Double(id) { return "n:\(v)" }
        return "s:" + id
    }
}
