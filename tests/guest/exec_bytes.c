/* Argument and environment bytes that are not UTF-8 through execve into a new process
   (issue 11): `exec_bytes` and `exec_bytes fork` (execve from a forked child) exec
   themselves with such bytes, an empty argument and a word after it; the new program
   prints each byte. picolx carries them in the exec hand-over record, not through the
   Windows command line (which turns them into U+FFFD and can swallow the next one). */
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/wait.h>
extern char **environ;
static void show(const char *s){ for(;*s;s++){unsigned char c=*s; if(c<0x20||c>=0x7f) printf("\\x%02x",c); else putchar(c);} }
int main(int argc,char**argv){
  if(argc>1 && !strcmp(argv[1],"child")){ for(int i=2;i<argc;i++){printf("arg%d=",i); show(argv[i]); printf("\n");}
    const char *v=getenv("ODD"); printf("env ODD="); show(v?v:"(none)"); printf("\n"); return 0;}
  char *args[]={argv[0],"child","a\xff" "b","\xe9t\xe9","", "next","c\xc3",NULL};
  char *env[]={"ODD=x\xfe\xff",NULL};
  if (argc > 1 && !strcmp(argv[1], "fork")) { if (fork() == 0) { execve("/proc/self/exe",args,env); _exit(127);} int st; wait(&st); return 0; }
  execve("/proc/self/exe",args,env); perror("execve"); return 1; }
