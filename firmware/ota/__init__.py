"""Updates over the air (loaded only while an update runs): see firmware/README.md "Updates".

    http      one HTTP/1.0 Range request per call, bounded by the socket timeout
    update    Update: download a release into the other slot, check it, switch the pointer
"""
