import Hummingbird
import MelanomaKit

