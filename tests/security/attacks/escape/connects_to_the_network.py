# attack: connect to a service on the grading machine and to the internet
# modes: bwrap
# %%
import socket
outcomes = []
for address in (("127.0.0.1", {{PORT}}), ("1.1.1.1", 53), ("8.8.8.8", 443)):
    connection = socket.socket()
    connection.settimeout(1)
    try:
        connection.connect(address)
        outcomes.append("connected")
    except OSError as error:
        outcomes.append(type(error).__name__)
    finally:
        connection.close()
try:
    socket.getaddrinfo("example.com", 80)
    outcomes.append("resolved")
except OSError:
    outcomes.append("no-dns")
raise RuntimeError("REPORT outcomes=%s" % ",".join(outcomes))
