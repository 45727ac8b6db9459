// execve of #! scripts. Run with script paths: each is executed in a child with the arguments
// "a1" and "a 2", and the child's fate printed. Run with no argument "--exec" first (as a
// script's interpreter), it prints the argv it got.
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
  setvbuf(stdout, 0, _IONBF, 0);
  if (argc < 2 || strcmp(argv[1], "--exec") != 0) {
    printf("  interpreter argv:");
    for (int i = 0; i < argc; i++) printf(" [%s]", argv[i]);
    printf("\n");
    return 0;
  }
  for (int i = 2; i < argc; i++) {
    printf("%s:\n", argv[i]);
    pid_t pid = fork();
    if (pid == 0) {
      char *args[] = {argv[i], "a1", "a 2", 0};
      char *env[] = {"PATH=/bin", 0};
      execve(argv[i], args, env);
      printf("  execve: errno %d (%s)\n", errno, strerror(errno));
      _exit(1);
    }
    int st;
    waitpid(pid, &st, 0);
    if (WIFSIGNALED(st)) printf("  killed by signal %d\n", WTERMSIG(st));
    else printf("  status %d\n", WEXITSTATUS(st));
  }
  return 0;
}
