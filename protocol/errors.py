"""Why a payload was refused, as a stable code plus a sentence for people."""

# Stable reason codes. Hosts store them, metrics count by them, tests match them:
# never rename one within contract version 1, only add.
TOO_LARGE = "too_large"            # payload over MAX_PAYLOAD bytes
NOT_UTF8 = "not_utf8"              # bytes are not UTF-8
NOT_JSON = "not_json"              # text is not JSON
NOT_OBJECT = "not_object"          # JSON, but not an object
BAD_VERSION = "bad_version"        # "v" missing or not 1
BAD_DEVICE = "bad_device"          # device id does not match ^[a-z0-9][a-z0-9-]{2,31}$
DEVICE_MISMATCH = "device_mismatch"  # "dev" differs from the device in the topic
BAD_TOPIC = "bad_topic"            # not a contract topic
UNKNOWN_TYPE = "unknown_type"      # event or command type the contract does not define
MISSING_FIELD = "missing_field"    # a required field is absent
BAD_FIELD = "bad_field"            # a field has the wrong type or an out-of-range value

CODES = (TOO_LARGE, NOT_UTF8, NOT_JSON, NOT_OBJECT, BAD_VERSION, BAD_DEVICE,
         DEVICE_MISMATCH, BAD_TOPIC, UNKNOWN_TYPE, MISSING_FIELD, BAD_FIELD)

# Reasons a host names in an ack's ``rej`` beside the codes above (Delivery 5 and 6). A pad
# treats any code alike (it counts the event as rejected), so hosts may add codes.
CONFLICT = "conflict"              # the seq is stored with other content: kept beside it, raised to IT
HOST_ERROR = "host_error"          # the host failed on this event: kept with the error, replayable
REJ_CODES = CODES + (CONFLICT, HOST_ERROR)  # noqa: RUF005 (plain tuple + for MicroPython)


class ProtocolError(ValueError):
    """A refused payload: ``code`` (one of CODES), ``field`` (or None), message."""

    def __init__(self, code: str, message: str, field: object = None) -> None:
        super().__init__(message)
        self.code = code
        self.field = field
        self.message = message

    def __str__(self) -> str:
        return self.code + ": " + self.message
