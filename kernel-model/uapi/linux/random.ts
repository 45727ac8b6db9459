// include/uapi/linux/random.h: getrandom's flags.
export const GRND_NONBLOCK = 1, GRND_RANDOM = 2, GRND_INSECURE = 4;
