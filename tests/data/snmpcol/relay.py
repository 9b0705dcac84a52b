# relay.py: forwards SNMP requests from 127.0.0.1:PORT to an agent and
# sends each answer back from another socket (another port), as a
# multi-homed agent answering from another address does.
# usage: relay.py AGENT_PORT; prints its port, then serves COUNT requests.
import socket
import sys


def main():
    agent = ("127.0.0.1", int(sys.argv[1]))
    count = int(sys.argv[2])
    front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    front.bind(("127.0.0.1", 0))
    back = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    back.bind(("127.0.0.1", 0))
    other = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    other.bind(("127.0.0.1", 0))
    front.settimeout(30)
    back.settimeout(5)
    print(front.getsockname()[1], flush=True)
    for _ in range(count):
        data, client = front.recvfrom(65536)
        back.sendto(data, agent)
        answer, _ = back.recvfrom(65536)
        other.sendto(answer, client)


main()
