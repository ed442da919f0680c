import NN
// Backbones and the melanoma head live here (models issue).
public enum Models {}
