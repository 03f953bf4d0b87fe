/**
 * The lab's traffic probe, run inside a namespace (`ip netns exec NS node probe.cjs …`):
 *   listen tcp|udp ADDRESS PORT       echo server; prints "ready" once listening, "got" per arrival
 *   connect tcp|udp SRC DST PORT MS   sends from SRC, expects the echo back within MS; exit 0 if so
 */
import * as dgram from 'node:dgram';
import * as net from 'node:net';

const [mode, protocol, ...rest] = process.argv.slice(2);

if (mode === 'listen') {
    const [address, port] = rest;
    if (protocol === 'tcp') {
        net.createServer(socket => {
            console.log('got');
            socket.pipe(socket);
        }).listen(Number(port), address, () => console.log('ready'));
    } else {
        const socket = dgram.createSocket(net.isIPv6(address) ? 'udp6' : 'udp4');
        socket.on('message', (message, from) => {
            console.log('got');
            socket.send(message, from.port, from.address);
        });
        socket.bind(Number(port), address, () => console.log('ready'));
    }
} else if (mode === 'connect') {
    const [src, dst, port, ms] = rest;
    const fail = () => process.exit(1);
    setTimeout(fail, Number(ms));
    if (protocol === 'tcp') {
        const socket = net.connect({ host: dst, port: Number(port), localAddress: src }, () =>
            socket.write('netintent')
        );
        socket.on('data', () => process.exit(0));
        socket.on('error', fail);
    } else {
        const socket = dgram.createSocket(net.isIPv6(src) ? 'udp6' : 'udp4');
        socket.on('message', () => process.exit(0));
        socket.bind(0, src, () => socket.send('netintent', Number(port), dst));
    }
} else {
    console.error('usage: probe listen tcp|udp ADDRESS PORT | probe connect tcp|udp SRC DST PORT MS');
    process.exit(2);
}
