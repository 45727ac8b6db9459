// What the guest's terminals ask of the host (kernel-model/fs/tty.ts): the size of the terminal
// behind a host fd, TIOCGWINSZ on that fd itself, through the C library binding `sysgate serve`
// already keeps (one binding of libc for it, not another).

import { setHostTerminal } from "../kernel-model/fs/tty.js";
import { windowSizeOf } from "./cli/serve/unix_socket.js";

setHostTerminal({ windowSize: windowSizeOf });
