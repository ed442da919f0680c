import Models
import Imaging
// Data, loader, training and prediction live here.
public enum MelanomaKit {}
