"""`certify --har`: judge a launch a browser recorded in a HAR file."""
