/// The upload page: no external scripts, styles or fonts.
enum Page {
    static let html = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Melanoma - research tool</title>
<style>
  body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 56rem; color: #222; padding: 0 1rem; }
  h1 { font-size: 1.4rem; margin-bottom: .2rem; }
  .notice { background: #fff4d6; border: 1px solid #e0b84c; padding: .6rem .8rem; border-radius: 6px; }
  form { display: grid; grid-template-columns: 9rem 1fr; gap: .6rem 1rem; align-items: center; margin: 1.2rem 0; }
  input, select, button { font-size: 1rem; padding: .3rem; }
  button { grid-column: 2; width: 10rem; cursor: pointer; }
  #result { margin-top: 1rem; }
  .big { font-size: 2rem; font-weight: 600; }
  .error { color: #a00; font-weight: 600; }
  table { border-collapse: collapse; margin: .5rem 0; }
  td, th { border-bottom: 1px solid #ddd; padding: .25rem .6rem; text-align: left; }
  img#overlay { width: 768px; max-width: 100%; border: 1px solid #ccc; margin-top: .5rem; }
  .muted { color: #666; font-size: .9rem; }
</style>
</head>
<body>
<h1>Melanoma classifier</h1>
<p class="notice"><strong>This is a research tool, not a diagnosis.</strong> Its output is a model score on a
dermoscopy image; it must not be used to decide on care. See a dermatologist about any changing or worrying skin lesion.</p>
<form id="form">
  <label for="image">Image (JPEG or PNG)</label><input id="image" name="image" type="file" accept="image/jpeg,image/png" required>
  <label for="age">Age (years)</label><input id="age" name="age" type="number" min="0" max="130" step="1" placeholder="unknown">
  <label for="sex">Sex</label>
  <select id="sex" name="sex"><option value="">unknown</option><option>male</option><option>female</option></select>
  <label for="site">Body site</label><select id="site" name="site"><option value="">unknown</option></select>
  <label for="token">Access token</label><input id="token" type="password" placeholder="only if the server asks for one">
  <button id="go" type="submit">Analyse</button>
</form>
<div id="result"></div>
<p class="muted" id="models"></p>
<script>
const $ = (id) => document.getElementById(id);
function headers() { const t = $("token").value; return t ? { "Authorization": "Bearer " + t } : {}; }
function text(s) { const d = document.createElement("span"); d.textContent = s; return d.innerHTML; }
async function loadModels() {
  try {
    const r = await fetch("/v1/models", { headers: headers() });
    if (!r.ok) return;
    const m = await r.json();
    const sites = new Set();
    m.models.forEach((x) => x.sites.forEach((s) => sites.add(s)));
    [...sites].sort().forEach((s) => { const o = document.createElement("option"); o.textContent = s; $("site").appendChild(o); });
    $("models").textContent = "Models: " + m.models.map((x) => x.kernelType + " (" + x.enetType + ", " + x.imageSize +
      " px, folds " + x.folds.join(",") + ")").join("; ") + "; " + m.nTest + " TTA variants.";
  } catch (e) {}
}
$("form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const fd = new FormData();
  fd.append("image", $("image").files[0]);
  ["age", "sex", "site"].forEach((k) => { if ($(k).value !== "") fd.append(k, $(k).value); });
  fd.append("gradcam", "1");
  $("go").disabled = true;
  $("result").innerHTML = "Analysing...";
  try {
    const r = await fetch("/v1/predict", { method: "POST", body: fd, headers: headers() });
    const j = await r.json();
    if (!r.ok) {
      $("result").innerHTML = '<p class="error">' + text((j.error.field ? j.error.field + ": " : "") + j.error.message) + "</p>";
      return;
    }
    let h = '<div>Melanoma probability</div><div class="big" id="probability">' + (100 * j.probability).toFixed(1) + " %</div>";
    h += "<div>" + (j.percentile == null ? "No out-of-fold scores yet (run evaluate) for a percentile."
      : "Higher than " + j.percentile.toFixed(1) + " % of the validation images' scores (percentile).") + "</div>";
    h += "<table><tr><th>model</th><th>probability</th><th>percentile</th></tr>" + j.models.map((m) =>
      "<tr><td>" + text(m.kernelType) + "</td><td>" + m.probability.toFixed(4) + "</td><td>" +
      (m.percentile == null ? "-" : m.percentile.toFixed(1)) + "</td></tr>").join("") + "</table>";
    if (j.metadataNotes.length) h += '<div class="muted">Metadata: ' + j.metadataNotes.map(text).join("; ") + "</div>";
    if (j.gradcam && j.gradcamMax === 0) h += '<div class="muted">The Grad-CAM map is zero everywhere: no region raised the melanoma score.</div>';
    if (j.gradcam) h += '<div>Image and Grad-CAM heat map (where the model looked for melanoma):</div><img id="overlay" src="' + j.gradcam + '" alt="Grad-CAM overlay">';
    h += '<p class="notice">' + text(j.notice) + "</p>";
    $("result").innerHTML = h;
  } catch (e) {
    $("result").innerHTML = '<p class="error">' + text(String(e)) + "</p>";
  } finally {
    $("go").disabled = false;
  }
});
loadModels();
</script>
</body>
</html>
"""#
}
