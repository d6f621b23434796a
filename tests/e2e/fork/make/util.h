/* the two functions util.c gives main.c */
int add_up(int n);
const char *greeting(void);
