/* SPDX-License-Identifier: Apache-2.0 */
/* The key source of the card fuzz targets (applet/crypto/crypto.h, vt_crypto_set_key_source):
 * one key per algorithm, made once and handed out again at every key generation, so that a
 * GENERATE costs a reference count instead of up to seconds of prime search. The RSA keys are
 * fixed test keys (below: generated with `openssl genpkey`, for the fuzzer only, protecting
 * nothing); the others are generated at the first request. */
#include "fuzz_keys.h"

#include <openssl/pem.h>

#include <stdlib.h>

static const char *const rsa_pem[] = {
    [VT_CRYPTO_RSA1024] = "-----BEGIN PRIVATE KEY-----\n"
                          "MIICdwIBADANBgkqhkiG9w0BAQEFAASCAmEwggJdAgEAAoGBALLCNbgvv/0tDq4f\n"
                          "wnAe6Y/hV+w91LXM81B3IPkGEQeoJR6FPxIp+/vqY2nG+J4ADRRKIL4TntalLCID\n"
                          "QACR3NH7/3YQMWiBesvxTqnW8byuc7SGAIbFlW16H4TbCn4tmeAD7mSgcUZx0yTm\n"
                          "wzCjah8UX/vGtzzqqmUJ1jRcVjPXAgMBAAECgYAwShaI8x1CH3Hfx+SWtUMTAyTl\n"
                          "RK65jewMyKG3o9Pl5Z5haE1pcr4Hh4HjiUSQKiNeX8gIkPRPt778UTRw8vZbrz0I\n"
                          "6+TsAeF6AEZ63xpcNBQG8/c/jfCMsiWM0USUsbW1YkFe/TAG0xxEqpqWnp9I1I/6\n"
                          "mi0bvy7YKOtxrEXngQJBAOv57wKTsjA2kOI/pAu50Eq6HzzMQ927pTlUMk4N1Myq\n"
                          "22lh0ug7cjM+QNfy8i0FCaIk9IW9Oq3mb3ZZaQW9hb8CQQDB7VkdYTaCHrG4o4Kl\n"
                          "xzQEofDJ+2laJCBcwZ7NDbIx7sy7Er13rM5Mplyc4R2Xgnl0L3jvqF5fUPuYSz7o\n"
                          "IMfpAkA+FSFWkjj9Cj4P6CJmm1o7bsAtJKhuO6H6dTZO5sCnoAPds8jjJFClPqmc\n"
                          "puQkCAFC0WorjV9UxR1qC5ff1L7NAkEAu4kc4bWN8d1e/nBZOpneaxBz+8/+PKat\n"
                          "CSZQvHmfNnx5Tfu8cAwT4LoM28UzSb5qV3pFGHYY9VIqTEeQCQkSaQJBAL1n7cNW\n"
                          "WBMExBI3G3XCFLBUhFCEu/ro7SWQgywrfKYp0X1MliDGBKQkUzFFDxkLSBMYwJvH\n"
                          "LLDZZr9u6HS5zFc=\n"
                          "-----END PRIVATE KEY-----\n",
    [VT_CRYPTO_RSA2048] = "-----BEGIN PRIVATE KEY-----\n"
                          "MIIEvwIBADANBgkqhkiG9w0BAQEFAASCBKkwggSlAgEAAoIBAQCt4RJklUBDs67+\n"
                          "l6jJsfX/bpyqCIZqBpdoRmhN1KQncZJEdVQIz8oUvSZNHoJv30GrrIp/PWBhJ/oy\n"
                          "o0VP2G/UAa9iLixLlKRexpQ/+hy6R13u3LI9xdam+pW/oi/VfETDJLURv3oWjXTS\n"
                          "ogVfAe4vPKldbyJBp/RoquNF6FBSg7ZMdyNEs/kVnFQilbIrN5UNVSYogMTTi4GQ\n"
                          "WzKZ4N7ihwIFQUjAQN8fdOQsdTS5fCmipVqXTj4y8WN4pUg/yLdxjfIUnVqccSx5\n"
                          "6JuVNEvR0JdNvTjk84sf8RYzoe6PGvx0MagYJje3xmJfjvr34PmQz3emPPjDD4ic\n"
                          "YZ+skJ4RAgMBAAECggEABPqHUMr3OpkH/zEve4r1bLlpkfLJinqi1jEB5oyaoKh/\n"
                          "VCd53wC4HAzoblfby0E8u6ImmwsSWeXPo6iKIQWk+hCMSYbh7M4WQMJ11zkdnnXR\n"
                          "qje2gM9L3J8bL5AAx5+VxnKkHpx5bfDh8fACsFw5Si/1939pnzCkbmTKOiOzPRGN\n"
                          "QwbfnXdi01zbwrKblMqY/H8OYiTCDsQNuM8EVhw6Yx8lmkwbW9Qj9AtXwXs+GNkW\n"
                          "Tt3iOe/x7qT/hqEQnkTbskxqQroAgJLLhPxU75/fPQMdknY15b4OADv+2Bnk4XyM\n"
                          "9Xjr90y2EugV2AcD63gPjv5ZPzfxz+nXbaeydaeaeQKBgQDmiysVZy5rtbQMtcOi\n"
                          "pGNfxAett4fNo+NuaTwv7Y4lXP9NnSEy7+at5pOK3DDCePaihtyz5qlv/HMiMpiJ\n"
                          "3ZBbdwDTuq1HhAI5bSESQ5YZ8xh1yvYe4vbUD6wmgvtbqYDR0SiGGELbJzV9H1fB\n"
                          "ubvKHyQ1k9YLM3dB0rbdGXrv5QKBgQDBFCgE0KEjaEW2d3rHgiqG2u39bXlzH9Dv\n"
                          "fyZ+dfMGAgM0yh4V9YcsfYeKc0KpfdGzCx0nOdz2Pbuw2evU6pRQXH0UpVg0CBcU\n"
                          "XgpTpFEzuj7oENMxwIKVDfNYCpcGH5eDg5su7f4MvZBzuwRGwDp2t98z8Vx8weoV\n"
                          "m3hnZStavQKBgQDIXV9+ZISlu+/VtAtpSTHMw1RhGEcA5FT/WpqilPWbZ23DiLKX\n"
                          "0IRN0z2by67c9cB0lH0wJWJRH7j4mbyU5WlW9OBVI8MBiqtcOYoqk27a8rnpdhHd\n"
                          "2ifnOg/GEMRgb7qzn/J2SJOiYDtOmXTtu3yIN/SCVBANABe/r2CaXFDKOQKBgQCn\n"
                          "JCjEikqEGTcIDwQ1g4QG+6y8DzHsrCU1vm93V+nKUKGv6CwFPGgI5p4YB1E04ltO\n"
                          "0BcrptaWP7ikDvItfehobLhG0B+74yj/k60C3SMCUX81a6M31Xv1Rn9avsggH+cM\n"
                          "jTggdxvOsadD2CiKisvRi7joAU/cHA3lKJIhh53xTQKBgQC82YIiS1ZpqZoZqv6g\n"
                          "A5i+qEtjhuKIE+AVeVvZu8P/8CxV1LuQQ2WX52sBos5PIP545W8TbTevX425/9y2\n"
                          "ZSpM0Rla8oNIcGYmekE+EEEhBiE5pcjEu2J4QAARFg3wNcycm0ROvIMMo6PRimXs\n"
                          "iTHeTZadJE75vcOhVDH9qnGbaA==\n"
                          "-----END PRIVATE KEY-----\n",
    [VT_CRYPTO_RSA3072] = "-----BEGIN PRIVATE KEY-----\n"
                          "MIIG/QIBADANBgkqhkiG9w0BAQEFAASCBucwggbjAgEAAoIBgQCh7zyBF7RyEaCI\n"
                          "SsMKCcbDWYgGGPkZgyuxU+aF/MRE8gyVbCBrjHBzTqfrzI6oQ5X+Ryp4h8yawvSs\n"
                          "3Y0jLCLwBdzfSsKD/0RegUp2osCbCOesotepO4ZRNOFvLs9RnXzLkQR4oEXCG6n5\n"
                          "ByzccQ/TaKOfCNIVamEqHHAtrZovNPhQrjzcbE6awpFXlYoejX8GmAr5ckKwDre1\n"
                          "LT6UwX5pHNtLy64quvMlZtF221O1uMMDGbAauOHM75pGWGefMe9rNR6Q22eVmdII\n"
                          "JJi6ny/zEhGx5f2lIWFmisdb1s30iO+1qlHdU3RbmuOZTOLxaPeFTrWhVpsMIvem\n"
                          "K9312nD8geH1HpeChCJfXmNbLIYtanoh80TtCg7nifOCqaQLl1ozfwZQWYmcoQ38\n"
                          "7nNOoxC6U8hfOUlBr4NpBlFxJGYZZv9j97mcltQBVYTYjxFJG2AK3fz5TYc7mlYE\n"
                          "8IcmAOYFUEu0hppAXa1WPNryD4c+Lyk5Kv99ARKpGzKzHftHz9kCAwEAAQKCAYAU\n"
                          "nLUg4XmQg3nhn1KQNopcV0sfK5KZkr6/BaT0LSZ2eDDt3COMTQYLR1nMg+8sr92p\n"
                          "zjkzumVq1aH7VwAeGAIidzyUF5oG3zk+pkpqK3FEyq9ipB+7ZN5F++suEdFF3DwE\n"
                          "VWMyT4RRnt/V2Pn23VVcXZdmKONE4pOXnqMQzWYw2Bc7fdI1ZHvk6xtBAMHh/bTL\n"
                          "jBLpiYe/jUAJCcdLfA2xJ4EqdrSmr8E/Y4UKEgTnvqrj/CMUY7AqO91xUtNtyhcx\n"
                          "vqU0XJTrpSpa4nHS7TA/DXahFuyeSvENtWJ2msqxwTgLSyQHhAOjG1D4k8++oL9m\n"
                          "W/aCuee7xcYuwq7XOAHttYgSdMiW/LG8PvOI7WAtitxg/VyDHb9Z9ROPmdeeV4LX\n"
                          "excl0ZbHFXKAPiVtHdfxhhJA6/0cKbWykOknOACNvlF/Xh/+cVmsjK6uy1mSmdmd\n"
                          "L20y6+bBOISK1RvzgaDg/HHzWyBKHCdSjIIUoMGImuE8BIHH/yOweHSTRvEbFnkC\n"
                          "gcEA0NR9VPIHshnltCHQbLr8xq6Lw4mlGiFKG5Vn4Eg4ZsFIjoMA9F0smCxS+2cU\n"
                          "Z20kyGnW/PGOdii7ffljmObSMJWg1O0SxVAsXvcn+I9mlU/JrYd70CBkE4i5S4QK\n"
                          "2E68qFR6OFo3YFYD6sFWnd8gTYNaMBHXKVOMCbQYh2zIm6sIz1VyE2aiakkX8r60\n"
                          "72fu/CL9/BFS3H7sYMxqXvMG8By3K2SQU8uP8BPfvLxpaIkySwLigI8BV8j1+CX4\n"
                          "yYxPAoHBAMaDCGBgKNPI5kAZtyNjVdfxrh2SnIKqrOhvsL65sRhO/lpOELC9eNR3\n"
                          "GAQQozGl9QNfmGgcTeZlNwvgTrpHXRJGynxqYdK0493jhoNsDMjthNImgdcudKRd\n"
                          "H0/WoZpsHaqnfWWdl5Hn7fhg3MJXZMCXmlg1Efm1FrojpXvBz4VBuaTJlGw9I/e0\n"
                          "fzQwtcboKDvPXHRVIhu9Bfx42U5myy2WrIo0Zq/bK354YfqAKWSUqVLCmmxtx+x5\n"
                          "yvJ3uMePVwKBwQCBh2t95unTFLEfu+GVr53edqGGVbgsrv1Sgqd9vA4P3k9s5eEP\n"
                          "sUNZ2BRYj6VeSZqJHO0W05WzwKwbBTc7veAd9pFdwPbloEcFWHRYfkn4zxafJews\n"
                          "OgsY+rNEHdDEPoJSPqPYlEzI2lFvqSBap+1XZuPn8QjuPz4bPrQAO/9qXvoF8E/j\n"
                          "rMOM/W13ScbcwDDB/8peMTieP7PKjsBjyIZDJOyQY74J27eaCBm87XjMOF0TneR0\n"
                          "LT99/c5jbtoT2Y0CgcBa6NUkNcVcv+taPayWIz7D5yVC28qbOIh45fV+UtHcfQiU\n"
                          "2J1iI1M7kdLIwcnKyeK8CcJlI1k1gvLDmJTVUCs6XHsMoTdtZHPaQQFwHEJ6nfOu\n"
                          "vf3GSrsWLqNRT8ywSIUJiyytJY+tPRbJIarXwWgdnxALBzrVLW5cDkkRtP9RWnkn\n"
                          "Ez3Kl/Fp1hpPD2Of1N/gDCWeDQLSyyz7o2h5NDAmD5Oysy63qFpxz7WnH5xVOJOW\n"
                          "mBJaR6hADsK3acaQdX8CgcBbOElpTgFyqH4ylpi3/ynlV85byhQl0jg5sQo6hJnp\n"
                          "c/qLJXahUunjpC9KSyYaB1ufFZE1v3inJxM7c8FPHw3uoWwTQrk51RL/rmOKhgqr\n"
                          "xnPCH19yOE3yWK9HGyP/xPm8GdZZYo+ATyyZBj9I2PA47+f+x6Xgpk4MhmoNyaOf\n"
                          "DVn0lUA6b2nR+1vajk4NjWDZ36Uy+cdjcnVGLe0ckWuiSpWnKduiG/Rp3CvQv+Lp\n"
                          "J3v0sAFB05zTXSnPrCqwsU4=\n"
                          "-----END PRIVATE KEY-----\n",
    [VT_CRYPTO_RSA4096] = "-----BEGIN PRIVATE KEY-----\n"
                          "MIIJQgIBADANBgkqhkiG9w0BAQEFAASCCSwwggkoAgEAAoICAQCs1E9KvFzZo7vi\n"
                          "SDJ4BRyQQxFoxH0uRGxPMIy1uOwyCmP25ZfNQvq/jTaYWdCjQ3XQoQgL4GylXAR3\n"
                          "jW8uZdDOnvaKRw1sBDMBKT74J2doQhajcv4yjS0yA6fxkyPXk/YxeUWHCa4G2sHp\n"
                          "vCvtn8H/qq8WHwpLlI1j/Ty70eBXFFaW1388HZa6Kxha4QKSq/+KFVBfk/LeIWpO\n"
                          "dE8fhbhRDSdePzaOH14tXPbpi/1swLrclNKAwMoUl6Mhme/9pOmOVDnEFuZTAqfe\n"
                          "ZV9ZhdUBfzmBpw/F4NJQg0fIOAk4tHitF2pOYJgTIzKHp1X0MUUrfDluPocFJPwQ\n"
                          "fv54H6x8sVIIQmmiu2Jc89RdfWyf0xAgOuAVYfgeowpQHx1zhCcZXkGjSw1+Jbz3\n"
                          "ug5tfRBpTXEqwxx3mgekQgm5UAClOS6IwhVeT04mdksSF6BWjL1npOS0FdKGFl40\n"
                          "p89/XCyoRyfCfakvJK0LpusJcySFdAFVd4TDJJW2MrsNUxDEYFfe5j2tnYGAdzbc\n"
                          "+5/cqRNBlxPXuBnG67KZjngUq/vvfbNs2lkPoiEUqSyeiHCWBQPl4clZSVDmRsdp\n"
                          "K5JZsmAztU9st+4hEwnQGy7JXfwWTBW05TImpC75KNEC7JOaKJSkL5cE1oAAlzUf\n"
                          "QXf8waEYHi2+7N3QcUDMH1mhBBwweQIDAQABAoICAE0kJpAxKzBpiL8jgoNXpLwv\n"
                          "c2HT8hvopn9iKCwkciiTwrK9H9iagNlm6mtuC1YUEk4g0jqa3WOhgszp8CpBf8X5\n"
                          "5gkqVa9U4H8wLc8Np3Y9qWUjOprNsNKWFywYhPMAM+85NfNkOq0Mj2kIeIMDv8+i\n"
                          "G6xABpRdpg5vReB/eSblCREi9sOaYWCPQ7usmz1kUBcOFGXU356OQ6jo+TgUs4RZ\n"
                          "3qyOgodFMQAGcp8jwOX90GoMczjM1GYEmOeykhAgv66roW0I251JniwCC2El/0E/\n"
                          "zCc2ri+gfb86GZwght0skICR5v082CQSncc2xYLNSxZxyCCRACsnquqiBGsRmCcE\n"
                          "AMsd5ujdKE0TQ89AMtrqg6HTIJKVSpie98TaDhXeCBucOlobkHTRFeQMi2lieg8p\n"
                          "R1ifSc654BpChc34zEHX1dVZOuBGQY09cDqPWYpicCMsfZ/IGQM6UiEENOjKUTbZ\n"
                          "ZIFjdOEQ8aGyLLgJKblcfscDaVRYO4hf2w71HMhuj4qATzR31tKCDz1RgJQh3rmU\n"
                          "7OdLfqeOXvtDg6fe2VhUlfzdsHyhaUlGwSf1vgzt+fk6CHrvQ/XfeJBE7aI/wS2i\n"
                          "LLoALuzj9HJvoryLDVSlJoN+nXoWukYwtYr8goC54R/nG/HHDX1/op+E/SZUoNuG\n"
                          "rOQueDs/PofzCAzB82KRAoIBAQDbFDDKRASH1amOZN1oq+Q0r/Mdogb7Gvl7Pw7P\n"
                          "OSPUfKRxN4/6jeDd94pTnxB1kqzyHdkFl8FZgLGlIQ/4+PTRKbKwHi27NkqXbE22\n"
                          "xDoEtG/3jyX56cIjuy94ROdMURRyLLmq/E3WONXELLlCUyhA2SB3puhbVBT0jpQ8\n"
                          "jGdBhwbRNPGOXugf0+qfhKDFRDGY8RV3Z7yENTB7XfgWqxC2vSC272+2JJBtJzwZ\n"
                          "0VcLEs0GW1KM8rrVUSke5kexPOqSjnOOBvwTBj+UWi4G3qotPjSb2c+CLncmADtH\n"
                          "HpAjOyfU97J09gPEGtCqcWwQGCNKC+zopNi8ikyxH6R3tpbLAoIBAQDJ9MGsAiHt\n"
                          "zqIAgUvjBpPx19ME7VojiWTIbwztSe9QL9DZYjxKNb+AvM5PlKm/CIVVNmM4Z1vw\n"
                          "X5CJp6aWMlamVSo7sOJdZcl3WBkzs3RBymW7HqDJiGY9/kCJI+mHLRi6PdY9SMIH\n"
                          "rtKcJl4AbIY1JrTAtmejIr/GCZ4EmJ5pn8qJPVeQmBcXRmMbra91ccafdRdiWrVm\n"
                          "fM0QuyU1Np9vJXkWzG1AVZ5iOfmZLARyIKR2LVOTmGj0OTybGHTiejqUMCa71eCJ\n"
                          "rnGUnNcmcKJ2nA4WKFc8ba8bmixFYyPjGOs3aFHCejrhdEe7bRqsFMUDqrRWPQNn\n"
                          "Db17mU9j9qlLAoIBAEdi1d8iuMM2SRDAJzFTSYItjy+pu1KZYI/bZUz61oUHtGG7\n"
                          "9Ct1jb9mSOmknC1jhP1D4pKi93rdp4UiN90t6kA5sSMYQliNgVLEFLKoUCt2TEHD\n"
                          "oGFF3V/dP8OV2DSS+vGVR07C9e4HCQjqddd511UCK0Ux2ubfiBCEYSM1sPO2Nu92\n"
                          "q/tzS3oLiJlAE08UQIEQlakZ4WDHICwi25MvXLve9skFTkZwtasLrNbQ0ucl0i7v\n"
                          "FQAem+ikkJyj9tp2+gyVZGv0NLFSSOdjVzof1h319hiOqcJGt8ZnLummuNryDLGl\n"
                          "oL3h6Co/fpz7ZnX8F4uqRSEtjf4ppoHUyLfFhG8CggEAcK+5QRkPhXm+uzlp9os9\n"
                          "EbyzahRmL14CdjRAqkaO2ddUWXeO3HmRGWxAUfdJn+ZJP3rRci96BW3NYIHDWhtM\n"
                          "bhMnNZdFN4gMGiN2LHr9a5hbm0VDwi/xnLW5nMwFCgAHxCOs3xUx7seFjMt7uBDV\n"
                          "8eJfCQi+WzCQgRfsq/PcsGMQx/MKYQv8FmiX9GG9fXK2uVLEcYTbowwQAD3sTPzl\n"
                          "iUcHgckfTL55WaWvt9/vux6rpaU09S4doeguAPxse9JnzTfw5O46E5jal2nMQw6m\n"
                          "GDiLQ6HOy1EIXAZynWTsKVNGK+xxcmpxYEtZmyMNtub/50PgzB3PQDlSeRzaR5Ti\n"
                          "cQKCAQEA1R6l2hLHrd8tav9EKx0X3GHt4IEjrsRWz/EteVQp4cQASogPByq36YD8\n"
                          "yqXtsX06mTW8vW1xGZUOX0EiAZZLc8aJwZJa9Bpz09dhLY3lQ2L6MZBU2++yb3SR\n"
                          "DPxUnoEa6QaRPN0cAY/uJSHZ1UgDDmdgSEYIiA9s9nX2AqTWPEEj0i0RJDBL2KYA\n"
                          "noNSaKT0/kuao6Fmt8zItC7loNiXzAgKBZTnFao5TXBVTzhb9Yx3MUNfef1c0BT6\n"
                          "zDjf4BamiErSiXGgIPHYhf496BqXh9lNo8lfzvdeteHdFbBaBzmDcn0hp0okPDMB\n"
                          "BhjDdYHebgooR5cLB3zvossCcT6HDw==\n"
                          "-----END PRIVATE KEY-----\n",
};

static EVP_PKEY *made[VT_CRYPTO_N_ALGS];

static void free_made(void)
{
        for (size_t i = 0; i < VT_CRYPTO_N_ALGS; i++)
                EVP_PKEY_free(made[i]);
}

static EVP_PKEY *made_once(enum vt_crypto_alg alg)
{
        if ((size_t)alg >= VT_CRYPTO_N_ALGS)
                return NULL;
        if (!made[alg]) {
                if ((size_t)alg < sizeof(rsa_pem) / sizeof(rsa_pem[0]) && rsa_pem[alg]) {
                        BIO *b = BIO_new_mem_buf(rsa_pem[alg], -1);
                        made[alg] = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
                        BIO_free(b);
                } else {
                        vt_crypto_set_key_source(NULL); /* OpenSSL's generator, this once */
                        made[alg] = vt_crypto_generate(alg);
                        vt_crypto_set_key_source(made_once);
                }
                if (!made[alg] || vt_crypto_alg_of_key(made[alg]) != alg)
                        abort();
        }
        return EVP_PKEY_up_ref(made[alg]) == 1 ? made[alg] : NULL;
}

void fuzz_keys_install(void)
{
        static bool done;
        if (done)
                return;
        done = true;
        atexit(free_made);
        vt_crypto_set_key_source(made_once);
}
