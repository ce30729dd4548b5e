"""Defences at the edge (issue 15: hostile input and abuse), each one small module:

bounds — input bounds for JSON, forms, ids and dates; ratelimit — limits shared by every process;
headers — session cookie flags and security headers; isolation — one bad stored row never breaks a
feed, dashboard or page; csvsafe — CSV exports without formula injection.
"""
